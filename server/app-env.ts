import type { Role } from '../shared/api.ts';
import type { SessionUser, Session } from './auth/sessions.ts';
import type { Db } from './store/db.ts';
import type { Log } from './log.ts';
import type { RateLimit } from './auth/rate-limit.ts';
import type { PublicLinks } from './mail/links.ts';
import type { Outbox } from './mail/outbox.ts';

/** How the request proved who it is: a browser session cookie, or a bearer token from a script. */
export type Credential = { kind: 'cookie'; session: Session } | { kind: 'bearer'; sessionId: string | null; apiTokenId: string | null };


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
    /** Set with readOnly: the caller's role in the room's workspace. */
    role: Role;
    /** The caller's address as the sign-in throttle sees it (TRUST_PROXY honoured), for the audit log. */
    clientAddress: string | null;
  };
};

/** What REST routes may ask of the live sync layer after they change who may see what. */
export interface LiveAccess {
  /** Re-check live sockets of one user (or of every user, when omitted) in one room (or in all rooms). */
  recheck(which: { userId?: string; room?: string }): Promise<number>;
  /** Close the sockets of a signed-out session, or of every session of a user. */
  signOut(which: { userId: string; sessionId?: string }): number;
  /** A user's new display name for their open sockets: presence they publish from now on carries it. */
  rename(userId: string, name: string): void;
  /** Write a new pipeline name into its board doc (loading the room if nobody has it open), stored and broadcast. */
  renameBoard(room: string, name: string, userId?: string): Promise<void>;
  /** An admin's repair of a doc (loading the room if needed): meta from the database, bad records repaired or removed. */
  /** An admin's repair, attributed to that admin (`actorId`) in the history. */
  repairDoc(room: string, meta: { pipelineId?: string; workspaceId: string; name?: string }, actorId: string | null): Promise<DocRepairResult>;
}

export interface DocRepairResult {
  repaired: string[];
  removed: string[];
  /** Still read-only after the repair, and why (null: the doc is writable). */
  degraded: string | null;
}

/** Abuse limits shared by the route groups (SIGNUP_RATE_LIMIT, CREATE_RATE_LIMIT, RATE_LIMIT_WINDOW_S). */
export interface RequestLimits {
  /** Behind a reverse proxy: the client address comes from X-Forwarded-For (TRUST_PROXY=1). */
  trustProxy: boolean;
  /** Signups per client address. */
  signups: RateLimit;
  /** New pipelines and workspaces, per account and per client address. */
  creations: RateLimit;
  /** Password reset requests per client address. */
  resetRequests: RateLimit;
  /** Messages a stranger can make us send to one e-mail address (signup links and notices, reset links). */
  mailsPerAddress: RateLimit;
}

/** Sending e-mail: the outbox, and links built from PUBLIC_URL. */
export interface MailDeps {
  outbox: Outbox;
  links: PublicLinks;
}
