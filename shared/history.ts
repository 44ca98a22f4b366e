import { z } from 'zod';

/**
 * The history, review, restore and audit REST contract (issue #10): request bodies the server validates and the
 * answers the UI reads. Times are epoch milliseconds throughout; lists are as the server orders them.
 */

/** `GET /api/pipelines/:pipelineId/history`: the moments a board can be seen at, oldest first. */
export interface HistoryTimeline {
  checkpoints: Array<{ at: number }>;
  /** The earliest moment history reaches back to; null when nothing is stored yet. */
  oldest: number | null;
  /** The server's clock when it answered. */
  now: number;
}

/** `GET /api/pipelines/:pipelineId/history/state?at=` answers the board doc as one Yjs update, and this header. */
export const STATE_AT_HEADER = 'X-Lanes-State-At';

export interface UserRef {
  id: string;
  name: string;
}

export interface StageRef {
  id: string;
  name: string;
}

export const CHANGE_KINDS = ['added', 'moved', 'edited', 'won', 'lost', 'removed', 'restored'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** One thing that happened to a deal; `user` is null when nobody can be named (the server, a deleted account). */
export interface DealChange {
  at: number;
  user: UserRef | null;
  kind: ChangeKind;
  dealId: string;
  title: string;
  fromStage?: StageRef;
  toStage?: StageRef;
  /** For `edited`: the deal field that changed (value, ownerId, title, …), with its old and new value. */
  field?: string;
  before?: unknown;
  after?: unknown;
}

/** One stage's figures at `since` and now: what a review meeting compares. */
export interface StageDelta {
  stageId: string;
  name: string;
  countBefore: number;
  countNow: number;
  totalBefore: number;
  totalNow: number;
  weightedBefore: number;
  weightedNow: number;
}

/** `GET /api/pipelines/:pipelineId/changes?since=`: changes newest first, and the per-stage deltas. */
export interface ChangesSince {
  since: number;
  until: number;
  /** The last time someone in the workspace presented this pipeline, or null if never. */
  lastReviewAt: number | null;
  changes: DealChange[];
  stages: StageDelta[];
}

/** `POST /api/pipelines/:pipelineId/reviews` answers 201 with the moment recorded. */
export interface ReviewMark {
  at: number;
}

export interface DeletedDeal {
  dealId: string;
  title: string;
  deletedAt: number;
  deletedBy: UserRef | null;
}

export interface DeletedContact {
  contactId: string;
  name: string;
  deletedAt: number;
  deletedBy: UserRef | null;
}

export interface RestoredDeal {
  dealId: string;
}

export interface RestoredContact {
  contactId: string;
}

const moment = z.number({ error: 'a time in epoch milliseconds' }).int('a whole number of milliseconds').nonnegative('not before 1970');

/** `POST /api/pipelines/:pipelineId/restore` (admins): the whole board back to how it was at `at`, as a new change. */
export const boardRestoreSchema = z.object({ at: moment }).strict();
export type BoardRestore = z.infer<typeof boardRestoreSchema>;

export interface BoardRestored {
  at: number;
  /** How many deals (or stage settings) the restore changed. */
  changed: number;
}

/** `POST /api/pipelines/:pipelineId/revert` (admins): undo everything `userId` changed on the board between two moments. */
export const memberRevertSchema = z
  .object({ userId: z.string().min(1, 'pick a member').max(64), from: moment, to: moment })
  .strict()
  .refine((revert) => revert.from < revert.to, { message: 'the start must be before the end', path: ['to'] });
export type MemberRevert = z.infer<typeof memberRevertSchema>;

export interface MemberReverted {
  reverted: number;
}

export const AUDIT_ACTIONS = [
  'signin',
  'signin_failed',
  'signup',
  'invite_created',
  'invite_revoked',
  'invite_accepted',
  'member_role_changed',
  'member_removed',
  'pipeline_created',
  'pipeline_renamed',
  'pipeline_access_changed',
  'token_created',
  'token_revoked',
  'deal_restored',
  'contact_restored',
  'board_restored',
  'member_reverted',
  'signout_everywhere'
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** `GET /api/workspaces/:workspaceId/audit` (admins): one entry, newest first. */
export interface AuditEntry {
  id: string | number;
  at: number;
  actor: UserRef | null;
  action: AuditAction;
  /** What the action was about: an e-mail, a pipeline name, a deal title …; null when nothing more to say. */
  target: string | null;
  detail: Record<string, unknown>;
  /** The client's address (see TRUST_PROXY), null when unknown. */
  address: string | null;
}

export interface AuditLog {
  entries: AuditEntry[];
}

/** The audit log's filters, sent as query parameters; `format=csv` answers the same rows as a text/csv download. */
export interface AuditQuery {
  action?: AuditAction;
  userId?: string;
  from?: number;
  to?: number;
  limit?: number;
}
