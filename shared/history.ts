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

export type ChangeKind = 'added' | 'moved' | 'edited' | 'won' | 'lost' | 'removed' | 'restored';

export interface PersonRef {
  id: string;
  name: string;
}

export interface StageRef {
  id: string;
  name: string;
}

export interface ChangeEntry {
  at: number;
  user: PersonRef | null;
  kind: ChangeKind;
  dealId: string;
  title: string;
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
