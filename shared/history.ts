import { z } from 'zod';

/** REST shapes of history, restore and the audit log (README: History and audit). */
export interface HistoryMoments {
  /** Checkpoints one can view, oldest first. */
  checkpoints: Array<{ at: number }>;
  oldest: number | null;
  now: number;
  /** From this moment on, any moment is rebuilt exactly (raw updates are kept); null when none are. */
  exactFrom: number | null;
}

export type ChangeKind = 'added' | 'moved' | 'edited' | 'won' | 'lost' | 'removed' | 'restored' | 'notes_edited' | 'stage_changed';

/** What a `stage_changed` entry changed: a stage's name, win %, outcome or place; or a stage added or removed (admin repair). */
export type StageChangeField = 'name' | 'probability' | 'outcome' | 'position' | 'stage';

/** What a `notes_edited` entry holds as `after`: characters typed and deleted by one author in one hour, and the notes' length then. */
export interface NotesEdit {
  added: number;
  removed: number;
  length: number;
}

export interface PersonRef {
  id: string;
  name: string;
}

export interface StageRef {
  id: string;
  name: string;
}

export interface ChangeEntry {
  /** The change's place in the room's feed: ids only grow, so the largest one seen is a cursor (`after`). */
  id?: number;
  at: number;
  user: PersonRef | null;
  kind: ChangeKind;
  /** The deal it concerns (a contact's id in the contacts feed; the stage's id for `stage_changed`). */
  dealId: string;
  /** The deal's title (contact's name, stage's name) at that moment. */
  title: string;
  /** `stage_changed`: the stage, by its name now. */
  stage?: StageRef;
  /** `notes_edited`: this entry sums up, and replaces, the earlier entry with this id (same deal, author and hour). */
  replaces?: number;
  fromStage?: StageRef;
  toStage?: StageRef;
  field?: string;
  before?: unknown;
  after?: unknown;
}

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

export interface ChangesResponse {
  since: number;
  until: number;
  lastReviewAt: number | null;
  changes: ChangeEntry[];
  stages: StageDelta[];
  /** True when more changes happened than listed (the newest are listed). */
  truncated: boolean;
}

/**
 * The change feed read with a cursor, oldest first: every change after `after` (a change id), at most `limit`.
 * Ask again with `after: next` until `more` is false; a read model or a customer timeline follows a board this way.
 */
export interface ChangeFeedPage {
  changes: ChangeEntry[];
  /** The cursor to ask with next: the id of the last change listed (the one asked with when none was). */
  next: number;
  /** More changes follow `next` already. */
  more: boolean;
}

/** One admin restore of a whole board (or the contacts) to a moment, as the history lists it. */
export interface RestoreRecord {
  id: string;
  at: number;
  actor: PersonRef | null;
  /** The moment it went back to. */
  restoredTo: number;
  changed: number;
  /** The restore was undone (then by whom and when); an undone restore cannot be undone again. */
  undone: { at: number; actor: PersonRef | null } | null;
  /** An Undo brings back exactly the state before it (false once the raw log before it was thinned by retention). */
  undoable: boolean;
}

export interface DeletedDeal {
  dealId: string;
  title: string;
  deletedAt: number;
  deletedBy: PersonRef | null;
}

export interface DeletedContact {
  contactId: string;
  name: string;
  /** The same as `name`, so a list can show deleted deals and contacts alike. */
  title: string;
  deletedAt: number;
  deletedBy: PersonRef | null;
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
  'contacts_restored',
  'restore_undone',
  'signout_everywhere',
  'password_reset_requested',
  'password_reset',
  'password_changed',
  'account_renamed'
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  id: string;
  at: number;
  actor: PersonRef | null;
  action: AuditAction;
  target: string | null;
  detail: Record<string, unknown>;
  address: string | null;
}

const moment = z.number().int('epoch milliseconds').min(0, 'epoch milliseconds').max(8.64e15, 'too far in the future');

export const boardRestoreSchema = z.object({ at: moment }).strict();

export const changeFeedQuerySchema = z
  .object({
    after: z.coerce.number().pipe(z.number().int('a change id').min(0, 'a change id')).optional(),
    since: z.coerce.number().pipe(moment).optional(),
    limit: z.coerce.number().pipe(z.number().int('a whole number').min(1, 'at least 1').max(1000, 'at most 1000')).optional()
  })
  .strict()
  .refine((query) => query.after === undefined || query.since === undefined, { message: 'give after or since, not both', path: ['since'] });

export const memberRevertSchema = z
  .object({ userId: z.string().min(1, 'name the member').max(64), from: moment, to: moment })
  .strict()
  .refine((body) => body.from <= body.to, { message: 'from must not be after to', path: ['to'] });

/** Query strings: a moment in epoch milliseconds. */
export const momentQuery = z.coerce.number().pipe(moment);

export const auditQuerySchema = z
  .object({
    action: z.enum(AUDIT_ACTIONS, { error: `one of ${AUDIT_ACTIONS.join(', ')}` }).optional(),
    userId: z.string().max(64).optional(),
    from: momentQuery.optional(),
    to: momentQuery.optional(),
    limit: z.coerce.number().pipe(z.number().int('a whole number').min(1, 'at least 1').max(5000, 'at most 5000')).optional(),
    format: z.enum(['json', 'csv'], { error: 'json or csv' }).optional()
  })
  .strict();
