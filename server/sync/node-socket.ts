import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Hono } from 'hono';
import { defineWebSocketHelper, WSContext, type UpgradeWebSocket, type SendOptions, type WSContextInit, type WSEvents, type WSMessageReceive } from 'hono/ws';
import { WebSocket, WebSocketServer } from 'ws';

/**
 * WebSockets for Hono on Node's HTTP server, in place of `@hono/node-ws`, built so an idle socket costs little memory:
 * `@hono/node-ws` keeps each socket's Hono context, its Request and URL objects and Node's IncomingMessage for as
 * long as the socket lives (its listeners close over them) and gives each `c.env` a property keyed by a new Symbol,
 * which is a new hidden class per socket. Here the upgrade handler hands over only the route's event handlers, and
 * the socket keeps them and a small WSContext; its listeners are shared by every socket.
 *
 * Same contract as `@hono/node-ws`: `upgradeWebSocket(createEvents)` as the route's handler, `injectWebSocket(server)`
 * once the server exists; a request the app does not upgrade gets its status line and the connection is closed.
 */

/** What the upgrade route handed over for one request, until `ws` finishes the handshake. */
type Events = WSEvents<WebSocket>;

/** The ws socket with what its shared listeners need: its route's events and the context handed to them. */
export class LanesSocket extends WebSocket {
  events: Events | null = null;
  context: WSContext<WebSocket> | null = null;
}

/** WSContext's backing: methods on a prototype, not closures per socket. */
class ContextInit implements WSContextInit<WebSocket> {
  constructor(readonly raw: WebSocket) {}
  send(data: string | ArrayBuffer | Uint8Array<ArrayBuffer>, options: SendOptions): void {
    this.raw.send(data, { compress: options.compress });
  }
  close(code?: number, reason?: string): void {
    this.raw.close(code, reason);
  }
  get readyState() {
    return this.raw.readyState as WSContextInit['readyState'];
  }
}

function report(error: unknown): void {
  console.error(error);
}

function onMessage(this: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
  const { events, context } = this as LanesSocket;
  if (!events?.onMessage || !context) return;
  for (const part of Array.isArray(data) ? data : [data]) {
    const payload: WSMessageReceive = isBinary
      ? part instanceof ArrayBuffer
        ? part
        : (part.buffer.slice(part.byteOffset, part.byteOffset + part.byteLength) as ArrayBuffer)
      : part.toString('utf8');
    try {
      events.onMessage(new MessageEvent('message', { data: payload }), context);
    } catch (error) {
      report(error);
    }
  }
}

function onClose(this: WebSocket, code: number, reason: Buffer): void {
  const { events, context } = this as LanesSocket;
  (this as LanesSocket).events = null;
  if (!events?.onClose || !context) return;
  try {
    events.onClose(new CloseEvent('close', { code, reason: reason.toString() }), context);
  } catch (error) {
    report(error);
  }
}

function onError(this: WebSocket, error: Error): void {
  const { events, context } = this as LanesSocket;
  if (!events?.onError || !context) return;
  try {
    // Node 20 has no global ErrorEvent: an Event carrying the error.
    events.onError(Object.assign(new Event('error'), { error }), context);
  } catch (caught) {
    report(caught);
  }
}

/** Start a socket whose handshake is done: its context, listeners, then the route's onOpen. */
export function attach(ws: LanesSocket, events: Events): void {
  ws.events = events;
  ws.context = new WSContext(new ContextInit(ws));
  // ws calls its listeners with the socket as `this`: one set of functions serves every socket.
  ws.on('message', onMessage);
  ws.on('close', onClose);
  ws.on('error', onError);
  try {
    events.onOpen?.(new Event('open'), ws.context);
  } catch (error) {
    report(error);
  }
}

/**
 * Messages up to this size are framed once and the frame shared by every socket they go to (a broadcast update,
 * awareness); a larger one (a whole doc's sync step 2, sent to one client) goes through ws, which writes it uncopied.
 */
const SHARED_FRAME_MAX_BYTES = 64 * 1024;

/** The last message framed and its frame: a room's broadcast hands one message to each of its sockets in a row. */
let framedMessage: Uint8Array | null = null;
let framed: Buffer | null = null;

/** `message` as one final, unmasked binary WebSocket frame (RFC 6455 §5.2), built once per message. */
export function binaryFrame(message: Uint8Array): Buffer {
  if (message === framedMessage && framed) return framed;
  const length = message.byteLength;
  const headerBytes = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerBytes + length);
  frame[0] = 0x82; // FIN, opcode 2 (binary)
  if (headerBytes === 2) frame[1] = length;
  else if (headerBytes === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.set(message, headerBytes);
  framedMessage = message;
  framed = frame;
  return frame;
}

/**
 * What sendBinary reads of a ws 8 socket: its TCP socket and its sender, whose state is 0 (DEFAULT) unless it is
 * compressing or reading a Blob, when it queues frames and a direct write could overtake them. This server never
 * compresses (no per-message deflate) nor sends Blobs, so the direct write is always in order; the check stays.
 */
interface WsInternals {
  _socket?: Duplex | null;
  _sender?: { _state: number } | null;
}

/**
 * Send a binary message on an open socket, as `ws.send` would, but write the frame shared by every recipient of
 * that message (binaryFrame) to the TCP socket in one write: ws would build a header per socket and write header and
 * message as two corked writes (a writev), which was most of a fan-out's cost per recipient. `written` is called once
 * the frame is handed to the kernel. What waits unwritten counts in `ws.bufferedAmount` as a ws send's would.
 */
export function sendBinary(ws: WebSocket, message: Uint8Array, written?: () => void): void {
  const { _socket: socket, _sender: sender } = ws as unknown as WsInternals;
  const done = written && (() => written());
  if (ws.readyState !== WebSocket.OPEN || message.byteLength > SHARED_FRAME_MAX_BYTES || !socket || sender?._state !== 0) ws.send(message, done);
  else socket.write(binaryFrame(message), done);
}

// Node 20 has no global CloseEvent.
const CloseEvent =
  (globalThis as { CloseEvent?: typeof globalThis.CloseEvent }).CloseEvent ??
  class extends Event {
    readonly code: number;
    readonly reason: string;
    readonly wasClean = false;
    constructor(type: string, init: { code?: number; reason?: string } = {}) {
      super(type);
      this.code = init.code ?? 0;
      this.reason = init.reason ?? '';
    }
  };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function createNodeWebSocket({ app }: { app: Hono<any> }) {
  // No per-message deflate (also ws' default for servers): it would hold zlib contexts for every socket.
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, WebSocket: LanesSocket });
  /** Upgrade requests the route accepted, until the handshake finishes (keyed by Node's request, then dropped). */
  const accepted = new WeakMap<IncomingMessage, Events>();

  const upgradeWebSocket: UpgradeWebSocket<WebSocket> = defineWebSocketHelper(async (c, events) => {
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return;
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    if (!incoming) return;
    accepted.set(incoming, events);
    return new Response();
  });

  function injectWebSocket(server: Pick<Server, 'on'>): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      upgrade(request, socket, head).catch((error: unknown) => {
        report(error);
        socket.destroy();
      });
    });
  }

  async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const headers = new Headers();
    for (const key in request.headers) {
      const value = request.headers[key];
      if (value) headers.append(key, Array.isArray(value) ? value[0] : value);
    }
    const response = await app.request(new URL(request.url ?? '/', 'http://localhost'), { headers }, { incoming: request, outgoing: undefined });
    const events = accepted.get(request);
    accepted.delete(request);
    if (!events) {
      socket.end(`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => attach(ws as LanesSocket, events));
  }

  return { wss, injectWebSocket, upgradeWebSocket };
}
