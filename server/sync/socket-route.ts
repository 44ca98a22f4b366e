import type { MiddlewareHandler } from 'hono';
import type { UpgradeWebSocket, WSContext } from 'hono/ws';
import { newId } from '../../shared/ids.ts';
import { parseRoom } from '../../shared/rooms.ts';
import type { AppDeps, AppEnv } from '../app-env.ts';
import { pipelineWorkspace, roleIn } from '../store/workspaces.ts';
import type { Connection } from './room.ts';
import type { Rooms } from './rooms.ts';

const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Authorize: may this user open this room? Resolves to the reason it may not, or null. */
export async function roomAccess(deps: AppDeps, userId: string, roomName: string): Promise<{ status: 403 | 404; reason: string } | null> {
  const room = parseRoom(roomName);
  if (!room) return { status: 404, reason: 'no such room' };
  const workspaceId = room.kind === 'board' ? await pipelineWorkspace(deps.db, room.pipelineId) : room.workspaceId;
  if (!workspaceId) return { status: 404, reason: 'no such room' };
  const role = await roleIn(deps.db, workspaceId, userId);
  return role ? null : { status: 403, reason: 'this room belongs to a workspace you are not a member of' };
}

function socketConnection(ws: WSContext, userId: string): Connection {
  return {
    id: newId(),
    userId,
    send: (message) => {
      if (ws.readyState === 1) ws.send(message as Uint8Array<ArrayBuffer>);
    },
    close: (code, reason) => ws.close(code, reason)
  };
}

/**
 * GET /ws/<room>: the y-websocket endpoint. Authentication and authorization run on the HTTP upgrade, so a refused
 * client gets 401/403 before any Yjs message; the room is loaded before the socket opens.
 */
export function socketRoute(deps: AppDeps, rooms: Rooms, upgradeWebSocket: UpgradeWebSocket) {
  const authorize: MiddlewareHandler<AppEnv> = async (c, next) => {
    const user = c.get('user');
    if (!user) return c.json({ error: 'unauthorized', reason: 'sign in first' }, 401);
    const denied = await roomAccess(deps, user.id, c.req.param('room') ?? '');
    if (denied) return c.json({ error: denied.status === 403 ? 'forbidden' : 'not_found', reason: denied.reason }, denied.status);
    return next();
  };

  const upgrade = upgradeWebSocket(async (c) => {
    const user = c.get('user')!;
    const room = await rooms.acquire(c.req.param('room')!);
    let connection: Connection | null = null;
    // A client that vanishes mid-handshake never opens or closes: let go of the room so it can unload.
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      rooms.release(room);
    };
    const handshakeTimeout = setTimeout(release, HANDSHAKE_TIMEOUT_MS);
    return {
      onOpen: (_event, ws) => {
        clearTimeout(handshakeTimeout);
        if (released) {
          ws.close(1013, 'handshake took too long; reconnect');
          return;
        }
        connection = socketConnection(ws, user.id);
        room.join(connection);
      },
      onMessage: (event, ws) => {
        if (!connection) return;
        if (!(event.data instanceof ArrayBuffer)) {
          ws.close(1003, 'binary messages only');
          return;
        }
        room.receive(connection, new Uint8Array(event.data));
      },
      onClose: () => {
        clearTimeout(handshakeTimeout);
        if (connection) room.leave(connection);
        release();
      }
    };
  });

  return { authorize, upgrade: upgrade as MiddlewareHandler<AppEnv> };
}
