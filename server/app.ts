import { Hono, type Context, type Next } from 'hono';
import type { AppDeps, AppEnv, LiveAccess, MailDeps, RequestLimits } from './app-env.ts';
import { rememberClientAddress } from './api/audit.ts';
import { authRoutes } from './api/auth-routes.ts';
import { historyRoutes } from './api/history-routes.ts';
import { firstPageRoutes } from './api/first-page-routes.ts';
import { workspaceRoutes } from './api/workspace-routes.ts';
import { authenticate, sameOriginForBrowsers } from './auth/middleware.ts';
import { metricsAccess } from './auth/metrics-access.ts';
import { RateLimit } from './auth/rate-limit.ts';
import { healthRoutes } from './health.ts';
import { PublicLinks } from './mail/links.ts';
import { mailTransport, Outbox, DEFAULT_MAIL_FROM, type MailTransport } from './mail/outbox.ts';
import { History } from './history/history.ts';
import { Metrics } from './metrics.ts';
import { Rooms, type RoomsOptions } from './sync/rooms.ts';
import { renameBoard } from '../shared/board-doc.ts';
import { serverWrite } from './sync/room.ts';
import { createNodeWebSocket } from './sync/node-socket.ts';
import { socketRoute, type SocketLimits } from './sync/socket-route.ts';
import type { AccessNotice, RoomRelay } from './sync/cluster.ts';
import { loadRoomState } from './store/update-log.ts';
import { securityHeaders } from './security-headers.ts';
import { staticUi } from './static-ui.ts';

export interface AppOptions extends AppDeps {
  /** Folder of the built UI (build/); without it only /api and /ws are served. */
  uiDir?: string;
  rooms?: RoomsOptions;
  sockets?: SocketLimits;
  /** Behind a reverse proxy: trust X-Forwarded-For for the client address (throttling, rate limits). */
  trustProxy?: boolean;
  /** Abuse limits (SIGNUP_RATE_LIMIT, CREATE_RATE_LIMIT, RATE_LIMIT_WINDOW_S); defaults in DEFAULT_RATE_LIMITS. */
  rateLimits?: Partial<RateLimitSettings>;
  /** When set, GET /metrics needs `Authorization: Bearer <metricsToken>` (METRICS_TOKEN). */
  metricsToken?: string;
  /** /readyz answers 503 once this many updates wait to be stored (READY_MAX_PENDING). */
  readyMaxPending?: number;
  /** Where e-mail goes (default: the log) and the origin its links point at (PUBLIC_URL; default http://localhost:3000). */
  mail?: { transport?: MailTransport; publicUrl?: string };
  /** Other instances serving the same rooms through Redis (REDIS_URL); without it this process is alone. */
  relay?: RoomRelay;
}

export interface RateLimitSettings {
  /** Signups per client address per window. */
  signupsPerWindow: number;
  /** New pipelines and workspaces per account, and per client address, per window. */
  createsPerWindow: number;
  /** Messages sent to one e-mail address on a stranger's request (signups, reset links) per window. */
  mailsPerAddressPerWindow: number;
  windowMs: number;
}

/** Generous enough for an office signing up together (and a test run); a script creating hundreds is stopped. */
export const DEFAULT_RATE_LIMITS: RateLimitSettings = { signupsPerWindow: 60, createsPerWindow: 60, mailsPerAddressPerWindow: 5, windowMs: 10 * 60_000 };

/** The whole server as one Hono app: /api (REST), /ws (sync) and the built UI, on one port. */
export function createApp(options: AppOptions) {
  const deps: AppDeps = { db: options.db, log: options.log, clock: options.clock };
  const app = new Hono<AppEnv>();
  const metrics = new Metrics();
  const rateLimits = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
  const limits: RequestLimits = {
    trustProxy: options.trustProxy ?? false,
    signups: new RateLimit(deps.clock, { limit: rateLimits.signupsPerWindow, windowMs: rateLimits.windowMs }),
    creations: new RateLimit(deps.clock, { limit: rateLimits.createsPerWindow, windowMs: rateLimits.windowMs }),
    resetRequests: new RateLimit(deps.clock, { limit: rateLimits.signupsPerWindow, windowMs: rateLimits.windowMs }),
    mailsPerAddress: new RateLimit(deps.clock, { limit: rateLimits.mailsPerAddressPerWindow, windowMs: rateLimits.windowMs })
  };
  const mail: MailDeps = {
    outbox: new Outbox(options.mail?.transport ?? mailTransport({ from: DEFAULT_MAIL_FROM }, deps.log), deps.log),
    links: new PublicLinks(options.mail?.publicUrl ?? 'http://localhost:3000')
  };
  const relay = options.relay;
  const rooms = new Rooms(deps.db, deps.log, { clock: deps.clock, ...options.rooms, metrics, relay });
  const history = new History(deps.db, rooms, deps.clock);
  metrics.watch(rooms);
  const { injectWebSocket, upgradeWebSocket, wss } = createNodeWebSocket({ app });
  const socket = socketRoute(deps, rooms, upgradeWebSocket, options.sockets, metrics);
  socket.limitFrames(wss);
  // Cleared by stopAccepting() at shutdown: new sockets are refused and /readyz reports unready.
  let accepting = true;
  const recheckHere = ({ userId, room }: { userId?: string; room?: string }) =>
    socket.recheck((target, connection) => (!userId || connection.userId === userId) && (!room || target.name === room));
  // Access changes reach the sockets of every instance: here at once, elsewhere through the relay.
  relay?.attach({
    storedState: (name) => loadRoomState(deps.db, name),
    relayed: (room) => void (room.degraded && rooms.healIfValid(room)),
    access: (notice: AccessNotice) => {
      if (notice.kind === 'recheck') void recheckHere(notice.which).catch((error: Error) => deps.log.error('access re-check failed', { error: error.message }));
      else socket.signOut(notice.which);
    }
  });
  const live: LiveAccess = {
    recheck: (which) => {
      relay?.publishAccess({ kind: 'recheck', which });
      return recheckHere(which);
    },
    signOut: (which) => {
      relay?.publishAccess({ kind: 'signOut', which });
      return socket.signOut(which);
    },
    rename: (userId, name) => {
      for (const { connection } of rooms.connections()) if (connection.userId === userId) connection.userName = name;
    },
    renameBoard: async (roomName, pipelineName, userId) => {
      const room = await rooms.acquire(roomName);
      try {
        renameBoard(room.doc, pipelineName, { origin: serverWrite(userId ?? null) });
      } finally {
        rooms.release(room);
      }
    },
    repairDoc: (roomName, meta, actorId) => rooms.repair(roomName, meta, actorId)
  };

  app.onError((error, c) => {
    deps.log.error('request failed', { method: c.req.method, path: c.req.path, error: error.message });
    return c.json({ error: 'internal', reason: 'something went wrong on our side; nothing was changed' }, 500);
  });

  // WebSocket upgrades answer 101 with the socket's own headers; every HTTP answer gets the security headers.
  app.use('*', async (c, next) => (c.req.header('upgrade')?.toLowerCase() === 'websocket' ? next() : securityHeaders(c, next)));
  app.route(
    '/',
    healthRoutes({
      db: deps.db,
      pendingWrites: () => rooms.writer.pendingCount,
      maxPendingWrites: options.readyMaxPending,
      accepting: () => accepting,
      warnings: () => {
        const problem = relay?.problem();
        return problem ? [problem] : [];
      }
    })
  );
  app.get('/metrics', metricsAccess(options.metricsToken), async (c) => {
    const { contentType, body } = await metrics.render();
    return c.body(body, 200, { 'content-type': contentType });
  });
  app.use('/ws/*', async (c, next) => (accepting ? next() : c.json({ error: 'unavailable', reason: 'server is shutting down; reconnect shortly' }, 503)));
  app.use('/api/*', refuseNulInPath, authenticate(deps), sameOriginForBrowsers, rememberClientAddress(options.trustProxy ?? false));
  app.use('/ws/*', authenticate(deps), sameOriginForBrowsers);
  app.route('/api', authRoutes(deps, live, limits, mail));
  app.route('/api', workspaceRoutes(deps, live, limits, mail));
  app.route('/api', historyRoutes(deps, history));
  app.route('/api', firstPageRoutes(deps, rooms));
  app.all('/api/*', (c) => c.json({ error: 'not_found', reason: `no route ${c.req.method} ${c.req.path}` }, 404));
  app.get('/ws/:room', socket.authorize, socket.upgrade);
  if (options.uiDir) app.route('/', staticUi(options.uiDir));

  /** A NUL character (%00) in an id or token of the path: Postgres would refuse it with an error, so refuse it first. */
  async function refuseNulInPath(c: Context, next: Next) {
    if (/%00/i.test(new URL(c.req.url).pathname)) return c.json({ error: 'invalid', field: '(path)', reason: 'must not contain a NUL character' }, 400);
    return next();
  }

  const stopAccepting = () => {
    accepting = false;
  };
  return { app, rooms, history, metrics, injectWebSocket, wss, live, stopAccepting, outbox: mail.outbox };
}
