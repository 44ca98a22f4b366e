import type { MiddlewareHandler } from 'hono';
import type { UpgradeWebSocket, WSContext, WSEvents, WSMessageReceive } from 'hono/ws';
import type { WebSocket } from 'ws';
import { canEdit, pipelineAllows, type Role } from '../../shared/api.ts';
import { newId } from '../../shared/ids.ts';
import { parseRoom } from '../../shared/rooms.ts';
import { EXTENSIONS_PARAM, parseExtensions, type Extension } from '../../shared/sync-extensions.ts';
import type { AppDeps, AppEnv } from '../app-env.ts';
import { signOutKey } from '../auth/middleware.ts';
import { pipelineAccess, roleIn } from '../store/workspaces.ts';
import type { Metrics } from '../metrics.ts';
import { CLOSE_READ_ONLY, CLOSE_SIGNED_OUT, isDocUpdateMessage } from './protocol.ts';
import { DocRefused } from './doc-limits.ts';
import type { Connection, Room } from './room.ts';
import type { Rooms } from './rooms.ts';
import { SendBound } from './send-bound.ts';
import { sendBinary } from './node-socket.ts';

const HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
export const DEFAULT_MAX_SEND_BUFFER_BYTES = 8 * 1024 * 1024;

export interface SocketLimits {
  /** Larger frames close the socket with 1009 before they are buffered whole (MAX_MESSAGE_BYTES). */
  maxMessageBytes?: number;
  /** A client that stops reading is dropped once this much is waiting for it (MAX_SEND_BUFFER_BYTES). */
  maxSendBufferBytes?: number;
}

export type RoomAccess = { ok: true; readOnly: boolean; role: Role } | { ok: false; status: 403 | 404; reason: string };

/** Authorize: may this user open this room, and may they change it? */
export async function roomAccess(deps: AppDeps, userId: string, roomName: string): Promise<RoomAccess> {
  const room = parseRoom(roomName);
  if (!room) return { ok: false, status: 404, reason: 'no such room' };
  const pipeline = room.kind === 'board' ? await pipelineAccess(deps.db, room.pipelineId) : null;
  const workspaceId = room.kind === 'board' ? pipeline?.workspaceId : room.workspaceId;
  if (!workspaceId) return { ok: false, status: 404, reason: 'no such room' };
  const role = await roleIn(deps.db, workspaceId, userId);
  if (!role) return { ok: false, status: 403, reason: 'this room belongs to a workspace you are not a member of' };
  if (pipeline && !pipelineAllows(pipeline.allowedRoles, role)) {
    return { ok: false, status: 403, reason: `this pipeline is limited to other roles than yours (${role})` };
  }
  return { ok: true, readOnly: !canEdit(role), role };
}

/** What every socket of the route shares: its dependencies and limits (one object, not closures per socket). */
interface RouteShared {
  deps: AppDeps;
  rooms: Rooms;
  limits: Required<SocketLimits>;
  metrics?: Metrics;
}

/**
 * One sync socket: the route's events for it (ws' handshake, then its frames) and the room's Connection, as one object
 * with methods on the prototype, so an idle socket costs its fields and no closures. It keeps only what rechecks and
 * sign-outs need of the upgrade request (user and session ids, role), never the request itself.
 */
class SocketSession implements Connection, WSEvents<WebSocket> {
  readonly id = newId();
  private raw: WebSocket | null = null;
  private bound: SendBound | null = null;
  /** The client vanished mid-handshake and the room was let go, or the socket closed. */
  private released = false;
  /** After the server refused a message, later frames of that socket are not read: nothing more to report. */
  private closedByServer = false;
  private handshakeTimeout: NodeJS.Timeout | undefined;

  constructor(
    private readonly shared: RouteShared,
    private readonly room: Room,
    readonly userId: string,
    public userName: string,
    readonly sessionId: string | null,
    public readOnly: boolean,
    public role: Role | undefined,
    readonly extensions: ReadonlySet<Extension>
  ) {
    // A client that vanishes mid-handshake never opens or closes: let go of the room so it can unload.
    this.handshakeTimeout = setTimeout(() => this.release(), HANDSHAKE_TIMEOUT_MS);
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.shared.rooms.release(this.room);
  }

  private logFields() {
    return { room: this.room.name, user: this.userId, connection: this.raw ? this.id : undefined };
  }

  onOpen(_event: Event, ws: WSContext<WebSocket>): void {
    clearTimeout(this.handshakeTimeout);
    this.handshakeTimeout = undefined;
    if (this.released) {
      ws.close(1013, 'handshake took too long; reconnect');
      return;
    }
    this.raw = ws.raw!;
    this.bound = new SendBound(this.shared.limits.maxSendBufferBytes);
    this.room.join(this);
  }

  onMessage(event: MessageEvent<WSMessageReceive>): void {
    if (!this.raw) return;
    const { metrics, deps } = this.shared;
    metrics?.messagesIn.inc();
    if (!(event.data instanceof ArrayBuffer)) {
      deps.log.warn('closing connection: message refused', { ...this.logFields(), code: 1003, reason: 'text frame: binary messages only' });
      metrics?.rejected(1003);
      this.room.disconnect(this, 1003, 'binary messages only');
      return;
    }
    this.room.receive(this, new Uint8Array(event.data));
  }

  onError(event: Event): void {
    if (this.closedByServer || !this.raw) return;
    const error = (event as Event & { error: NodeJS.ErrnoException }).error;
    const { metrics, deps, limits } = this.shared;
    // ws closes an oversized frame with 1009 itself (the close event then shows only 1006): say so here.
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      metrics?.rejected(1009);
      deps.log.warn('closing connection: message refused', { ...this.logFields(), code: 1009, reason: `message over ${limits.maxMessageBytes} bytes` });
    } else deps.log.warn('socket error', { ...this.logFields(), error: error.message });
  }

  onClose(): void {
    clearTimeout(this.handshakeTimeout);
    this.handshakeTimeout = undefined;
    if (this.raw) this.room.leave(this);
    this.release();
  }

  send(message: Uint8Array): void {
    const raw = this.raw;
    if (!raw || raw.readyState !== 1) return;
    // A client that stopped reading: its messages pile up in memory. Past the bound, let it go; it resyncs later.
    const send = (out: Uint8Array, written?: () => void) => sendBinary(raw, out, written);
    if (!this.bound!.offer(message, raw.bufferedAmount, send)) {
      this.shared.deps.log.warn('dropping a client that stopped reading', { ...this.logFields(), limit: this.shared.limits.maxSendBufferBytes });
      raw.terminate();
      return;
    }
    if (this.shared.metrics && isDocUpdateMessage(message)) this.shared.metrics.updateOut();
  }

  sendFirstSync(messages: readonly Uint8Array[], written: () => void): void {
    const raw = this.raw;
    if (!raw || raw.readyState !== 1) return written();
    // Called back once written, or with an error when the socket closed first: either way the send is over.
    this.bound!.offerFirstSync(messages, (out, done) => raw.send(out, done && (() => done())), written);
  }

  close(code: number, reason: string): void {
    this.closedByServer = true;
    this.raw?.close(code, reason);
  }
}

/**
 * GET /ws/<room>: the y-websocket endpoint. Authentication and authorization run on the HTTP upgrade, so a refused
 * client gets 401/403 before any Yjs message; the room is loaded before the socket opens. After that every message
 * is checked by the room (read-only viewers, malformed frames, doc size).
 */
export function socketRoute(deps: AppDeps, rooms: Rooms, upgradeWebSocket: UpgradeWebSocket<WebSocket>, options: SocketLimits = {}, metrics?: Metrics) {
  const limits: Required<SocketLimits> = {
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    maxSendBufferBytes: options.maxSendBufferBytes ?? DEFAULT_MAX_SEND_BUFFER_BYTES
  };

  const authorize: MiddlewareHandler<AppEnv> = async (c, next) => {
    const user = c.get('user');
    if (!user) return c.json({ error: 'unauthorized', reason: 'sign in first' }, 401);
    const access = await roomAccess(deps, user.id, c.req.param('room') ?? '');
    if (!access.ok) return c.json({ error: access.status === 403 ? 'forbidden' : 'not_found', reason: access.reason }, access.status);
    c.set('readOnly', access.readOnly);
    c.set('role', access.role);
    // Load the room before the upgrade, so a stored doc too big to hold is refused with a status, not a crash. Its
    // structure is counted then; a doc that needs no migration may still be replaying when the socket opens.
    try {
      rooms.release(await rooms.acquire(c.req.param('room')!, { early: true }));
    } catch (error) {
      if (!(error instanceof DocRefused)) throw error;
      return c.json({ error: error.status === 413 ? 'doc_too_large' : 'unavailable', reason: error.message }, error.status);
    }
    return next();
  };

  const shared: RouteShared = { deps, rooms, limits, metrics };
  const upgrade = upgradeWebSocket(async (c) => {
    const user = c.get('user')!;
    const extensions = parseExtensions(c.req.query(EXTENSIONS_PARAM));
    const room = await rooms.acquire(c.req.param('room')!, { early: true });
    return new SocketSession(shared, room, user.id, user.name, signOutKey(c.get('credential')), c.get('readOnly') ?? true, c.get('role'), extensions);
  });

  /**
   * Re-check the access of live connections (those `which` selects) after a membership, role or pipeline change:
   * a socket that lost access is closed at once; one whose role changed becomes read-only or writable.
   */
  async function recheck(which: (room: Room, connection: Connection) => boolean): Promise<number> {
    let closed = 0;
    const selected = [...rooms.connections()].filter(({ room, connection }) => which(room, connection));
    for (const { room, connection } of selected) {
      const access = await roomAccess(deps, connection.userId, room.name);
      if (!access.ok) {
        deps.log.info('closing connection: access removed', { room: room.name, user: connection.userId, connection: connection.id, reason: access.reason });
        room.disconnect(connection, CLOSE_READ_ONLY, 'access removed');
        closed++;
      } else {
        room.setAccess(connection, { readOnly: access.readOnly, role: access.role });
      }
    }
    return closed;
  }

  /** Close sockets of signed-out sessions (one session, or every session of a user). */
  function signOut(which: { userId: string; sessionId?: string }): number {
    let closed = 0;
    for (const { room, connection } of [...rooms.connections()]) {
      if (connection.userId !== which.userId) continue;
      if (which.sessionId && connection.sessionId !== which.sessionId) continue;
      room.disconnect(connection, CLOSE_SIGNED_OUT, 'signed out');
      closed++;
    }
    return closed;
  }

  /** Apply the frame-size limit on the WebSocket server itself, so an oversized frame is never buffered whole. */
  function limitFrames(wss: { options: { maxPayload?: number } }): void {
    wss.options.maxPayload = limits.maxMessageBytes;
  }

  return { authorize, upgrade: upgrade as MiddlewareHandler<AppEnv>, recheck, signOut, limitFrames };
}
