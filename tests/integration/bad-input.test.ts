import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { addDeal, dealNotes, readDeals, readStages } from '../../shared/board-doc.ts';
import { boardRoom } from '../../shared/rooms.ts';
import { encodeDocUpdate } from '../../server/sync/protocol.ts';
import { freePort, ServerProcess, storageKinds, type Storage } from '../support/server-process.ts';
import { connectClient, eventually, signUp, signUpColleague, type Account } from '../support/clients.ts';
import { scrapeMetrics } from '../support/metrics.ts';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const MAX_MESSAGE_BYTES = 65_536;
const MAX_DOC_BYTES = 262_144;
const MAX_SEND_BUFFER_BYTES = 262_144;

/** A raw `ws` socket on a room, authenticated like a script; it records what the server sends and how it closes. */
async function rawSocket(wsUrl: string, room: string, token: string, onOpen?: (socket: WebSocket) => void) {
  const socket = new WebSocket(`${wsUrl}/${room}`, { headers: { authorization: `Bearer ${token}` } });
  const received: Uint8Array[] = [];
  socket.on('message', (data: Buffer) => received.push(new Uint8Array(data)));
  socket.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => {
      onOpen?.(socket);
      resolve();
    });
    socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused: ${response.statusCode}`)));
  });
  return { socket, received, closed };
}

/** A Y.Doc of the attacker's own (own client id) that starts from `from`'s state, so its edits fit the board. */
function ownCopy(from: Y.Doc): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(from));
  return doc;
}

/** The one update `change` makes to `doc`. */
function updateOf(doc: Y.Doc, change: () => void): Uint8Array {
  const updates: Uint8Array[] = [];
  const record = (update: Uint8Array) => updates.push(update);
  doc.on('update', record);
  change();
  doc.off('update', record);
  expect(updates).toHaveLength(1);
  return updates[0];
}

/** Deterministic bytes, so a failing case can be replayed. */
function seededBytes(seed: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1_103_515_245 + 12_345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

function concat(...parts: Array<Uint8Array | number[]>): Uint8Array {
  const encoder = encoding.createEncoder();
  for (const part of parts) encoding.writeUint8Array(encoder, Uint8Array.from(part));
  return encoding.toUint8Array(encoder);
}

/** The server's structured log lines (JSON) written after `from` characters of output. */
function logLinesSince(server: ServerProcess, from: number): Array<Record<string, unknown>> {
  return server.output
    .slice(from)
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const titles = (doc: Y.Doc) => readDeals(doc).map((deal) => deal.title);
const newDeal = (doc: Y.Doc, title: string) => addDeal(doc, readStages(doc)[0].id, { title, value: 1, currency: 'EUR' });

/**
 * Each bad frame comes from a raw socket next to two stock clients on the same board: only the sender is closed,
 * with the code that names the fault, and nothing of the frame reaches the doc, the others or storage.
 */
describe.each(storageKinds)('refused input on live sockets on $label', ({ create }) => {
  let storage: Storage;
  let server: ServerProcess;
  let ann: Account;
  let bob: Account;
  let mallory: Account;
  const clients: Array<{ destroy(): void }> = [];

  /** A stock client that records the close codes the server sent it. */
  const connect = (target: ServerProcess, room: string, token: string) => {
    const client = connectClient(target.wsUrl, room, { token });
    const closes: number[] = [];
    client.provider.on('connection-close', (event: CloseEvent | null) => {
      if (event) closes.push(event.code);
    });
    clients.push(client);
    return { ...client, closes };
  };

  const colleague = (admin: Account, name: string, role: string): Promise<Account> => signUpColleague(server.url, admin, name, role);

  beforeAll(async () => {
    storage = await create();
    server = await ServerProcess.start(storage, {
      ROOM_UNLOAD_MS: '200',
      MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
      MAX_DOC_BYTES: String(MAX_DOC_BYTES),
      MAX_SEND_BUFFER_BYTES: String(MAX_SEND_BUFFER_BYTES)
    });
    ann = await signUp(server.url, 'Ann');
    bob = await colleague(ann, 'Bob', 'sales');
    mallory = await colleague(ann, 'Mallory', 'sales');
  });

  afterAll(async () => {
    clients.forEach((client) => client.destroy());
    await server?.stop();
    await storage?.dispose();
  });

  type BadFrame = { name: string; code: number; log: RegExp; frame: (board: Y.Doc) => Uint8Array | string };
  const badFrames: BadFrame[] = [
    {
      name: 'a frame over MAX_MESSAGE_BYTES',
      code: 1009,
      log: /message over 65536 bytes/,
      frame: (board) => {
        const doc = ownCopy(board);
        return encodeDocUpdate(
          updateOf(doc, () =>
            doc.transact(() => {
              const id = newDeal(doc, 'Bad: oversized');
              dealNotes(doc, id)!.insert(0, 'x'.repeat(MAX_MESSAGE_BYTES + 1_000));
            })
          )
        );
      }
    },
    { name: 'a text frame', code: 1003, log: /text frame/, frame: () => JSON.stringify({ title: 'Bad: text frame' }) },
    {
      name: 'an unknown message type',
      code: 1007,
      log: /unknown message type 7/,
      frame: (board) => {
        const doc = ownCopy(board);
        return concat([7], encodeDocUpdate(updateOf(doc, () => newDeal(doc, 'Bad: unknown type'))).slice(1));
      }
    },
    {
      name: 'an unknown sync message type',
      code: 1007,
      log: /unknown sync message type 9/,
      frame: (board) => {
        const doc = ownCopy(board);
        return concat([0, 9], encodeDocUpdate(updateOf(doc, () => newDeal(doc, 'Bad: unknown sync type'))).slice(2));
      }
    },
    {
      // The structs are whole and only the delete set at the end is missing: applying before decoding in full would
      // add this deal and then fail.
      name: 'an update missing its last byte',
      code: 1007,
      log: /update does not decode/,
      frame: (board) => {
        const doc = ownCopy(board);
        const update = updateOf(doc, () => newDeal(doc, 'Bad: truncated update'));
        return encodeDocUpdate(update.slice(0, -1));
      }
    },
    {
      name: 'a message cut short of its length prefix',
      code: 1007,
      log: /truncated message/,
      frame: (board) => {
        const doc = ownCopy(board);
        return encodeDocUpdate(updateOf(doc, () => newDeal(doc, 'Bad: truncated message'))).slice(0, -10);
      }
    },
    { name: 'random garbage bytes', code: 1007, log: /unknown message type|truncated message/, frame: () => concat([0xc9, 0x87], seededBytes(7, 300)) },
    {
      name: 'an update whose bytes are varints but not a Yjs update',
      code: 1007,
      log: /update does not decode/,
      frame: () => encodeDocUpdate(Uint8Array.from([5, 5, 5, 5, 5, 5, 5, 5]))
    },
    {
      name: 'a state vector that does not decode',
      code: 1007,
      log: /malformed state vector/,
      frame: () => concat([0, 0, 3], [2, 0xff, 0xff])
    },
    {
      name: 'an awareness update that is not JSON',
      code: 1007,
      log: /malformed awareness update/,
      frame: () => {
        const awareness = encoding.createEncoder();
        encoding.writeVarUint(awareness, 1);
        encoding.writeVarUint(awareness, 1234);
        encoding.writeVarUint(awareness, 1);
        encoding.writeVarString(awareness, '{"user": "Bad: awareness');
        return concat([1], encoding.encode((encoder) => encoding.writeVarUint8Array(encoder, encoding.toUint8Array(awareness))));
      }
    }
  ];

  let annBoard: ReturnType<typeof connect>;
  let bobBoard: ReturnType<typeof connect>;

  it.each(badFrames)('closes the sender of $name with $code and logs why; the stock clients keep syncing', async ({ name, code, log, frame }) => {
    const room = boardRoom(ann.pipelineId);
    if (!annBoard) {
      annBoard = connect(server, room, ann.token);
      bobBoard = connect(server, room, bob.token);
      await Promise.all([annBoard.synced, bobBoard.synced]);
    }
    const before = await scrapeMetrics(server.url);
    const logFrom = server.output.length;
    const bad = await rawSocket(server.wsUrl, room, mallory.token);
    bad.socket.send(frame(annBoard.doc));
    const closedWith = await Promise.race([bad.closed.then((closed) => closed.code), wait(5_000).then(() => 'still open')]);
    expect(closedWith).toBe(code);

    const refusal = await eventually(() => {
      const line = logLinesSince(server, logFrom).find((entry) => String(entry.message).startsWith('closing connection'));
      expect(line).toBeDefined();
      return line!;
    });
    expect(refusal).toMatchObject({ level: 'warn', room, user: mallory.userId });
    expect(typeof refusal.connection).toBe('string');
    expect(refusal).toMatchObject({ message: 'closing connection: message refused', code });
    expect(JSON.stringify(refusal)).toMatch(log);
    const after = await scrapeMetrics(server.url);
    const rejected = `lanes_messages_rejected_total{code="${code}"}`;
    expect(after.get(rejected)! - (before.get(rejected) ?? 0)).toBe(1);

    // Only the sender was closed: the stock clients still sync both ways, and the server still answers.
    newDeal(annBoard.doc, `After ${name}`);
    newDeal(bobBoard.doc, `Reply after ${name}`);
    await eventually(() => {
      expect(titles(bobBoard.doc)).toContain(`After ${name}`);
      expect(titles(annBoard.doc)).toContain(`Reply after ${name}`);
    });
    expect(annBoard.closes).toEqual([]);
    expect(bobBoard.closes).toEqual([]);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('counts and logs a refused socket once, whatever else it sends before the close completes', async () => {
    const room = boardRoom(ann.pipelineId);
    const before = await scrapeMetrics(server.url);
    const logFrom = server.output.length;
    const bad = await rawSocket(server.wsUrl, room, mallory.token);
    bad.socket.send(Uint8Array.from([7, 1, 2]));
    bad.socket.send(new Uint8Array(MAX_MESSAGE_BYTES + 10));
    expect((await bad.closed).code).toBe(1007);
    await wait(500);
    const after = await scrapeMetrics(server.url);
    const delta = (code: number) => (after.get(`lanes_messages_rejected_total{code="${code}"}`) ?? 0) - (before.get(`lanes_messages_rejected_total{code="${code}"}`) ?? 0);
    expect([delta(1007), delta(1009)]).toEqual([1, 0]);
    expect(logLinesSince(server, logFrom).filter((entry) => String(entry.message).startsWith('closing connection'))).toHaveLength(1);
  });

  it('keeps nothing of the refused frames: a fresh client after a restart sees every stock edit and none of them', async () => {
    await wait(300);
    expect(titles(annBoard.doc).filter((title) => title.startsWith('Bad'))).toEqual([]);
    expect(titles(bobBoard.doc).filter((title) => title.startsWith('Bad'))).toEqual([]);
    expect(Y.encodeStateVector(annBoard.doc)).toEqual(Y.encodeStateVector(bobBoard.doc));
    await server.stop();
    await server.start();
    const fresh = connect(server, boardRoom(ann.pipelineId), ann.token);
    await fresh.synced;
    for (const { name } of badFrames) expect(titles(fresh.doc)).toEqual(expect.arrayContaining([`After ${name}`, `Reply after ${name}`]));
    expect(titles(fresh.doc).filter((title) => title.startsWith('Bad'))).toEqual([]);
    expect(server.output).not.toMatch(/uncaught|unhandled/i);
  });

  it('closes a client that grows the doc past MAX_DOC_BYTES with 4413 "document is full"; the others stay and sync', async () => {
    const owner = await signUp(server.url, 'Dora');
    const filler = await colleague(owner, 'Fred', 'sales');
    const room = boardRoom(owner.pipelineId);
    const ownerBoard = connect(server, room, owner.token);
    const watcher = connect(server, room, owner.token);
    await Promise.all([ownerBoard.synced, watcher.synced]);
    newDeal(ownerBoard.doc, 'Before the doc was full');
    await eventually(() => expect(titles(watcher.doc)).toContain('Before the doc was full'));

    const doc = ownCopy(ownerBoard.doc);
    const dealId = newDeal(doc, 'Filled by Fred');
    const bad = await rawSocket(server.wsUrl, room, filler.token);
    bad.socket.send(encodeDocUpdate(Y.encodeStateAsUpdate(doc, Y.encodeStateVector(ownerBoard.doc))));
    const logFrom = server.output.length;
    let sent = 0;
    let closed: { code: number; reason: string } | null = null;
    void bad.closed.then((result) => (closed = result));
    // 20 KB at a time (under MAX_MESSAGE_BYTES), until the server says stop; twice the limit is far too many.
    while (!closed && sent < (2 * MAX_DOC_BYTES) / 20_000) {
      bad.socket.send(encodeDocUpdate(updateOf(doc, () => dealNotes(doc, dealId)!.insert(0, `${sent}`.padEnd(20_000, '.')))));
      sent++;
      await wait(30);
    }
    const { code, reason } = await bad.closed;
    console.log(`doc size limit: the filler was closed with ${code} after ${sent} updates of 20 KB (MAX_DOC_BYTES ${MAX_DOC_BYTES})`);
    expect(code).toBe(4413);
    expect(reason).toMatch(/document is full/);
    expect(sent).toBeGreaterThanOrEqual(Math.floor(MAX_DOC_BYTES / 20_000) - 3);
    await eventually(() =>
      expect(logLinesSince(server, logFrom)).toContainEqual(
        expect.objectContaining({ message: 'closing connection: message refused', code: 4413, reason: expect.stringMatching(/document is full/) })
      )
    );

    // The others were not touched, still sync with each other, and a newcomer gets the whole doc.
    newDeal(watcher.doc, 'After the filler was closed');
    await eventually(() => expect(titles(ownerBoard.doc)).toContain('After the filler was closed'));
    const newcomer = connect(server, room, owner.token);
    await newcomer.synced;
    expect(titles(newcomer.doc)).toEqual(expect.arrayContaining(['Before the doc was full', 'After the filler was closed', 'Filled by Fred']));
    expect(ownerBoard.closes).toEqual([]);
    expect(watcher.closes).toEqual([]);
    expect(newcomer.closes).toEqual([]);
    ownerBoard.destroy();
    watcher.destroy();
    newcomer.destroy();

    // Once a doc is over the limit (here: the operator lowers it), clients still open it and sync, since an update
    // that adds nothing passes; any edit that adds something is refused.
    await server.stop();
    const lowered = new ServerProcess(storage, await freePort(), { MAX_DOC_BYTES: String(MAX_DOC_BYTES / 2), MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) });
    try {
      await lowered.start();
      const reader = connect(lowered, room, owner.token);
      const writer = connect(lowered, room, owner.token);
      await Promise.all([reader.synced, writer.synced]);
      expect(titles(reader.doc)).toEqual(expect.arrayContaining(['Before the doc was full', 'After the filler was closed', 'Filled by Fred']));
      await wait(300);
      expect(reader.closes).toEqual([]);
      expect(writer.closes).toEqual([]);
      newDeal(writer.doc, 'Refused: the doc is full');
      await eventually(() => expect(writer.closes).toContain(4413));
      writer.destroy();
      await wait(300);
      expect(titles(reader.doc)).not.toContain('Refused: the doc is full');
      expect(reader.closes).toEqual([]);
      reader.destroy();
    } finally {
      await lowered.stop();
      await server.start();
    }
  });
});

/** A client that stops reading must not make the server hold everything broadcast to it. */
describe.each(storageKinds)('a client that stops reading on $label', ({ create }) => {
  let storage: Storage;
  let server: ServerProcess;
  let ann: Account;
  const clients: Array<{ destroy(): void }> = [];

  beforeAll(async () => {
    storage = await create();
    server = await ServerProcess.start(storage, { ROOM_UNLOAD_MS: '200', MAX_SEND_BUFFER_BYTES: String(MAX_SEND_BUFFER_BYTES) });
    ann = await signUp(server.url, 'Ann');
  });

  afterAll(async () => {
    clients.forEach((client) => client.destroy());
    await server?.stop();
    await storage?.dispose();
  });

  it('is dropped once MAX_SEND_BUFFER_BYTES wait for it, while the others get everything and memory stays bounded', async () => {
    const room = boardRoom(ann.pipelineId);
    const writer = connectClient(server.wsUrl, room, { token: ann.token });
    const reader = connectClient(server.wsUrl, room, { token: ann.token });
    clients.push(writer, reader);
    await Promise.all([writer.synced, reader.synced]);
    const dealId = newDeal(writer.doc, 'Long notes');
    await eventually(() => expect(titles(reader.doc)).toContain('Long notes'));

    const logFrom = server.output.length;
    // Connects, answers nothing and stops reading at once: the kernel buffers fill, then the server's.
    const stalled = await rawSocket(server.wsUrl, room, ann.token, (socket) => (socket as unknown as { _socket: { pause(): void } })._socket.pause());
    const before = await eventually(async () => {
      const values = await scrapeMetrics(server.url);
      expect(values.get('lanes_connections')).toBe(3);
      return values;
    });

    // Sample the server's memory while it broadcasts, to catch a peak that is gone by the end.
    let rssPeak = before.get('process_resident_memory_bytes')!;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        rssPeak = Math.max(rssPeak, (await scrapeMetrics(server.url)).get('process_resident_memory_bytes')!);
        await wait(100);
      }
    })();
    // More than the kernel buffers on both ends of a loopback socket take in (about 4 MiB here), so the server must hold the rest.
    const updates = 400;
    const chunk = 20_000;
    for (let i = 0; i < updates; i++) {
      dealNotes(writer.doc, dealId)!.insert(0, `${i}`.padEnd(chunk, '~'));
      if (i % 20 === 19) await wait(10);
    }
    await eventually(() => expect(dealNotes(reader.doc, dealId)!.length).toBe(updates * chunk), 30_000);
    sampling = false;
    await sampler;
    const dropped = await eventually(() => {
      const line = logLinesSince(server, logFrom).find((entry) => entry.message === 'dropping a client that stopped reading');
      expect(line).toBeDefined();
      return line!;
    });
    expect(dropped).toMatchObject({ room, user: ann.userId, limit: MAX_SEND_BUFFER_BYTES });
    const after = await eventually(async () => {
      const values = await scrapeMetrics(server.url);
      expect(values.get('lanes_connections')).toBe(2);
      return values;
    });
    (stalled.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    const { code } = await stalled.closed;

    const rssBefore = before.get('process_resident_memory_bytes')!;
    const rssAfter = after.get('process_resident_memory_bytes')!;
    const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    console.log(
      `slow client: ${updates} updates × ${chunk / 1000} KB broadcast (${mib(updates * chunk)} MiB); stalled socket dropped, closed ${code}; ` +
        `server RSS before ${mib(rssBefore)} MiB, peak ${mib(rssPeak)} MiB, after ${mib(rssAfter)} MiB; ` +
        `heap used ${mib(before.get('nodejs_heap_size_used_bytes')!)} → ${mib(after.get('nodejs_heap_size_used_bytes')!)} MiB, ` +
        `external ${mib(before.get('nodejs_external_memory_bytes')!)} → ${mib(after.get('nodejs_external_memory_bytes')!)} MiB`
    );
    expect(code).toBe(1006);
    // A sanity bound against runaway buffering, not the proof of the rule (the drop above is): broadcasting and
    // storing 7.6 MiB of text costs the server some 80 MiB of RSS on Postgres even with no stalled client at all
    // (doc, pending writes, the reader's send buffers, GC slack), more than the stalled client could add.
    expect(rssPeak - rssBefore).toBeLessThan(192 * 1024 * 1024);
    expect(rssAfter - rssBefore).toBeLessThan(192 * 1024 * 1024);
    expect(Y.encodeStateVector(reader.doc)).toEqual(Y.encodeStateVector(writer.doc));
  });
});
