import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { attach, binaryFrame, createNodeWebSocket, LanesSocket, sendBinary } from './node-socket.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let server: Server | null = null;
const clients: WebSocket[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(null));
  server = null;
});

/** An app with an echoing socket route at /ws (refused with 403 when ?refuse is given), on a loopback port. */
async function start(onContext: (context: object) => void = () => {}) {
  const app = new Hono();
  const { injectWebSocket, upgradeWebSocket, wss } = createNodeWebSocket({ app });
  const closes: number[] = [];
  app.get(
    '/ws',
    async (c, next) => (c.req.query('refuse') !== undefined ? c.json({ error: 'forbidden' }, 403) : next()),
    upgradeWebSocket((c) => {
      onContext(c);
      const greeting = c.req.query('name') ?? 'nobody';
      return {
        onOpen: (_event, ws) => ws.send(`hello ${greeting}`),
        onMessage: (event, ws) => ws.send(event.data as ArrayBuffer),
        onClose: (event) => closes.push((event as CloseEvent).code)
      };
    })
  );
  server = createServer(getRequestListener(app.fetch));
  injectWebSocket(server);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
  return { url, wss, closes };
}

function open(url: string): Promise<{ socket: WebSocket; first: string }> {
  const socket = new WebSocket(url);
  clients.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('message', (data) => resolve({ socket, first: data.toString() }));
    socket.once('error', reject);
  });
}

describe('createNodeWebSocket', () => {
  it('opens the socket with the events the route made for its request, and passes binary frames both ways', async () => {
    const { url } = await start();
    const { socket, first } = await open(`${url}?name=ada`);
    expect(first).toBe('hello ada');
    const echoed = new Promise<Buffer>((resolve) => socket.once('message', (data) => resolve(data as Buffer)));
    socket.send(Uint8Array.of(1, 2, 3));
    expect([...(await echoed)]).toEqual([1, 2, 3]);
  });

  it('answers a request the app refuses with its status and no socket', async () => {
    const { url, wss } = await start();
    await expect(open(`${url}?refuse`)).rejects.toThrow('Unexpected server response: 403');
    expect(wss.clients.size).toBe(0);
  });

  it('tells the route when a socket closes', async () => {
    const { url, closes } = await start();
    const { socket } = await open(url);
    socket.close(4000, 'bye');
    await expect.poll(() => closes).toEqual([4000]);
  });

  it('does not keep the upgrade request’s Hono context for the socket’s lifetime', async () => {
    const contexts: WeakRef<object>[] = [];
    const { url, wss } = await start((context) => contexts.push(new WeakRef(context)));
    await open(url);
    await open(url);
    expect(wss.clients.size).toBe(2);
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(contexts).toHaveLength(2);
    expect(contexts.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
  });

  it('shares one set of listeners between sockets instead of closures per socket', async () => {
    const { url, wss } = await start();
    await open(url);
    await open(url);
    const [a, b] = [...wss.clients] as LanesSocket[];
    expect(a).toBeInstanceOf(LanesSocket);
    for (const event of ['message', 'error'] as const) {
      expect(a.listeners(event)).toHaveLength(1);
      expect(a.listeners(event)).toEqual(b.listeners(event));
    }
    // ws' own client tracking adds a close listener per socket; ours is the shared one.
    const shared = a.listeners('close').filter((listener) => b.listeners('close').includes(listener));
    expect(shared).toHaveLength(1);
  });

  it('sends one message to many sockets as the same binary frame, intact at every length the frame header encodes', async () => {
    const sockets: WebSocket[] = [];
    const app = new Hono();
    const { injectWebSocket, upgradeWebSocket, wss } = createNodeWebSocket({ app });
    app.get('/ws', upgradeWebSocket(() => ({ onOpen: (_event, ws) => sockets.push(ws.raw!) })));
    server = createServer(getRequestListener(app.fetch));
    injectWebSocket(server);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
    const received: Array<Array<{ data: Buffer; binary: boolean }>> = [];
    for (let index = 0; index < 3; index++) {
      const client = new WebSocket(url);
      clients.push(client);
      const mine: Array<{ data: Buffer; binary: boolean }> = [];
      received.push(mine);
      client.on('message', (data, binary) => mine.push({ data: data as Buffer, binary }));
      await new Promise((resolve) => client.once('open', resolve));
    }
    await expect.poll(() => wss.clients.size).toBe(3);
    // Lengths around each header size: 7 bits, 16 bits, 64 bits (past the shared-frame bound ws frames it itself).
    const lengths = [0, 1, 125, 126, 127, 65_535, 65_536, 70_000];
    const messages = lengths.map((length) => Uint8Array.from({ length }, (_, index) => (index * 31 + length) % 256));
    for (const message of messages) {
      for (const socket of sockets) sendBinary(socket, message);
    }
    // A view into a larger buffer sends only its own bytes.
    const inside = Uint8Array.of(9, 9, 1, 2, 3, 9).subarray(2, 5);
    // Each socket's TCP socket is handed the one frame built for all of them, in one write.
    const writes: unknown[] = [];
    for (const socket of sockets) {
      const tcp = (socket as unknown as { _socket: { write: (...args: unknown[]) => boolean } })._socket;
      const write = tcp.write;
      tcp.write = (...args: unknown[]) => (writes.push(args[0]), write.apply(tcp, args));
    }
    for (const socket of sockets) sendBinary(socket, inside);
    expect(writes).toHaveLength(3);
    expect(writes.every((frame) => frame === binaryFrame(inside))).toBe(true);
    await expect.poll(() => received.map((mine) => mine.length)).toEqual([9, 9, 9]);
    for (const mine of received) {
      expect(mine.every(({ binary }) => binary)).toBe(true);
      expect(mine.map(({ data }) => data.length)).toEqual([...lengths, 3]);
      mine.slice(0, -1).forEach(({ data }, index) => expect(data.equals(messages[index])).toBe(true));
      expect([...mine.at(-1)!.data]).toEqual([1, 2, 3]);
    }
  });

  it('hands a socket error to the route as an event carrying the error (Node 20 has no ErrorEvent)', () => {
    const socket = new LanesSocket(null, undefined, {});
    const errors: unknown[] = [];
    attach(socket, { onError: (event) => errors.push((event as Event & { error: Error }).error) });
    const error = new Error('boom');
    socket.emit('error', error);
    expect(errors).toEqual([error]);
  });
});
