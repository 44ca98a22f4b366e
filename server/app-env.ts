import type { SessionUser, Session } from './auth/sessions.ts';
import type { Db } from './store/db.ts';
import type { Log } from './log.ts';

/** How the request proved who it is: a browser session cookie, or a bearer token from a script. */
export type Credential = { kind: 'cookie'; session: Session } | { kind: 'bearer'; sessionId: string | null };

export interface AppDeps {
  db: Db;
  log: Log;
  clock: () => number;
}

export type AppEnv = {
  Variables: {
    user: SessionUser | null;
    credential: Credential | null;
  };
};
