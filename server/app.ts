import { Hono } from 'hono';
import { createNodeWebSocket } from '@hono/node-ws';
import type { AppDeps, AppEnv, LiveAccess } from './app-env.ts';
import { authRoutes } from './api/auth-routes.ts';
import { workspaceRoutes } from './api/workspace-routes.ts';
import { authenticate, sameOriginForCookies } from './auth/middleware.ts';
import { healthRoutes } from './health.ts';
import { Metrics } from './metrics.ts';
import { Rooms, type RoomsOptions } from './sync/rooms.ts';
import { renameBoard } from '../shared/board-doc.ts';
import { socketRoute, type SocketLimits } from './sync/socket-route.ts';
import { staticUi } from './static-ui.ts';

export interface AppOptions extends AppDeps {
  /** Folder of the built UI (build/); without it only /api and /ws are served. */
  uiDir?: string;
  rooms?: RoomsOptions;
  sockets?: SocketLimits;
  /** Behind a reverse proxy: trust X-Forwarded-For for the client address (login throttling). */
  trustProxy?: boolean;
  /** /readyz answers 503 once this many updates wait to be stored (READY_MAX_PENDING). */
  readyMaxPending?: number;
}

/** The whole server as one Hono app: /api (REST), /ws (sync) and the built UI, on one port. */
export function createApp(options: AppOptions) {
  const deps: AppDeps = { db: options.db, log: options.log, clock: options.clock };
  const app = new Hono<AppEnv>();
  const metrics = new Metrics();
  const rooms = new Rooms(deps.db, deps.log, { ...options.rooms, metrics });
  metrics.watch(rooms);
  const { injectWebSocket, upgradeWebSocket, wss } = createNodeWebSocket({ app });
  const socket = socketRoute(deps, rooms, upgradeWebSocket, options.sockets, metrics);
  socket.limitFrames(wss);
  // Cleared by stopAccepting() at shutdown: new sockets are refused and /readyz reports unready.
  let accepting = true;
  const live: LiveAccess = {
    recheck: ({ userId, room }) =>
      socket.recheck((target, connection) => (!userId || connection.userId === userId) && (!room || target.name === room)),
    signOut: (which) => socket.signOut(which),
    renameBoard: async (roomName, pipelineName) => {
      const room = await rooms.acquire(roomName);
      try {
        renameBoard(room.doc, pipelineName);
      } finally {
        rooms.release(room);
      }
    },
    repairDoc: (roomName, meta) => rooms.repair(roomName, meta)
  };

  app.onError((error, c) => {
    deps.log.error('request failed', { method: c.req.method, path: c.req.path, error: error.message });
    return c.json({ error: 'internal', reason: 'something went wrong on our side; nothing was changed' }, 500);
  });

  app.route('/', healthRoutes({ db: deps.db, pendingWrites: () => rooms.writer.pendingCount, maxPendingWrites: options.readyMaxPending, accepting: () => accepting }));
  app.get('/metrics', async (c) => {
    const { contentType, body } = await metrics.render();
    return c.body(body, 200, { 'content-type': contentType });
  });
  app.use('/ws/*', async (c, next) => (accepting ? next() : c.json({ error: 'unavailable', reason: 'server is shutting down; reconnect shortly' }, 503)));
  app.use('/api/*', authenticate(deps), sameOriginForCookies);
  app.use('/ws/*', authenticate(deps), sameOriginForCookies);
  app.route('/api', authRoutes(deps, live, { trustProxy: options.trustProxy }));
  app.route('/api', workspaceRoutes(deps, live));
  app.all('/api/*', (c) => c.json({ error: 'not_found', reason: `no route ${c.req.method} ${c.req.path}` }, 404));
  app.get('/ws/:room', socket.authorize, socket.upgrade);
  if (options.uiDir) app.route('/', staticUi(options.uiDir));

  const stopAccepting = () => {
    accepting = false;
  };
  return { app, rooms, metrics, injectWebSocket, wss, live, stopAccepting };
}
