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
    /** Set by the sync route's authorization: the caller may read this room but not change it. */
    readOnly: boolean;
  };
};

/** What REST routes may ask of the live sync layer after they change who may see what. */
export interface LiveAccess {
  /** Re-check live sockets of one user (or of every user, when omitted) in one room (or in all rooms). */
  recheck(which: { userId?: string; room?: string }): Promise<number>;
  /** Close the sockets of a signed-out session, or of every session of a user. */
  signOut(which: { userId: string; sessionId?: string }): number;
  /** Write a new pipeline name into its board doc (loading the room if nobody has it open), stored and broadcast. */
  renameBoard(room: string, name: string): Promise<void>;
  /** An admin's repair of a doc (loading the room if needed): meta from the database, bad records repaired or removed. */
  repairDoc(room: string, meta: { pipelineId?: string; workspaceId: string; name?: string }): Promise<DocRepairResult>;
}

export interface DocRepairResult {
  repaired: string[];
  removed: string[];
  /** Still read-only after the repair, and why (null: the doc is writable). */
  degraded: string | null;
}
