import { z } from 'zod';

/** REST request bodies and response shapes: the server validates with these, the UI types its calls with them. */
export const signupSchema = z
  .object({
    email: z.email('not an e-mail address').max(254, 'at most 254 characters'),
    name: z.string().trim().min(1, 'tell us your name').max(80, 'at most 80 characters'),
    password: z.string().min(8, 'at least 8 characters').max(200, 'at most 200 characters'),
    invite: z.string().max(128).optional()
  })
  .strict();

export const loginSchema = z
  .object({
    email: z.string().max(254, 'at most 254 characters'),
    password: z.string().max(200, 'at most 200 characters')
  })
  .strict();

const newPasswordSchema = z.string().min(8, 'at least 8 characters').max(200, 'at most 200 characters');
const linkTokenSchema = z.string().min(1, 'the link is incomplete').max(128, 'the link is not valid');

/** Finish a signup from the link e-mailed to the address, with the password chosen at signup. */
export const signupVerifySchema = z.object({ token: linkTokenSchema, password: z.string().max(200, 'at most 200 characters') }).strict();

/** Ask for a password reset link. */
export const passwordResetRequestSchema = z.object({ email: z.email('not an e-mail address').max(254, 'at most 254 characters') }).strict();

/** Choose a new password through a reset link. */
export const passwordResetSchema = z.object({ token: linkTokenSchema, password: newPasswordSchema }).strict();

/** Change one's password while signed in: the current one proves it is you. */
export const passwordChangeSchema = z
  .object({ currentPassword: z.string().min(1, 'enter your current password').max(200, 'at most 200 characters'), newPassword: newPasswordSchema })
  .strict();

/** Change one's display name. */
export const accountUpdateSchema = z.object({ name: z.string().trim().min(1, 'tell us your name').max(80, 'at most 80 characters') }).strict();

/**
 * A signup without an e-mail invite: the same answer whether or not the address already has an account (the owner
 * of an existing one gets a message instead of a link). Through an e-mail invite the link proves the address, so the
 * account exists at once and the answer is `{ user }`.
 */
export interface SignupPending {
  status: 'verification_sent';
  email: string;
}

/** An address confirmed: the account exists and is signed in; it joined the link invite it signed up with, if that still worked. */
export interface SignupVerified {
  user: { id: string; email: string; name: string };
  joinedWorkspaceId: string | null;
  /** Why the invite it signed up with could not be used (it got a workspace of its own instead). */
  inviteProblem: string | null;
}

/** Asking for a reset link: the same answer whether or not the address has an account. */
export interface PasswordResetRequested {
  status: 'reset_link_sent';
  email: string;
}

export const tokenRequestSchema = z.object({ name: z.string().trim().min(1, 'name the token').max(80, 'at most 80 characters') }).strict();

/** A personal API token as listed: never its secret, which is shown once, when it is created. */
export interface ApiTokenView {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface ApiTokenCreated {
  id: string;
  name: string;
  token: string;
}

/** A workspace of one's own, e.g. for someone who joined through an invite and now wants their own team. */
export const workspaceCreateSchema = z.object({ name: z.string().trim().min(1, 'name the workspace').max(80, 'at most 80 characters') }).strict();

/**
 * Workspace roles. Admins manage members and pipelines; sales, marketing and support edit the boards their role
 * may open; viewers see everything they may open, live, and change nothing.
 */
export const ROLES = ['admin', 'sales', 'marketing', 'support', 'viewer'] as const;
export type Role = (typeof ROLES)[number];
const roleSchema = z.enum(ROLES, { error: `one of ${ROLES.join(', ')}` });

/** May this role change docs (boards, contacts)? */
export function canEdit(role: Role): boolean {
  return role !== 'viewer';
}

/** May this role open a pipeline limited to `allowedRoles` (null: every role)? Admins always may. */
export function pipelineAllows(allowedRoles: readonly Role[] | null, role: Role): boolean {
  return role === 'admin' || allowedRoles === null || allowedRoles.includes(role);
}

export const INVITE_MAX_DAYS = 30;

export const inviteRequestSchema = z
  .object({
    email: z.email('not an e-mail address').max(254).optional(),
    role: roleSchema.optional(),
    expiresInDays: z.number().int('whole days').min(1, 'at least 1 day').max(INVITE_MAX_DAYS, `at most ${INVITE_MAX_DAYS} days`).optional()
  })
  .strict();

export const memberUpdateSchema = z.object({ role: roleSchema }).strict();

const allowedRolesSchema = z
  .array(roleSchema)
  .max(ROLES.length, `at most ${ROLES.length} roles`)
  .nullable()
  .refine((roles) => roles === null || new Set(roles).size === roles.length, 'each role once');

const pipelineNameSchema = z.string().trim().min(1, 'name the pipeline').max(80, 'at most 80 characters');

/** Rename a pipeline, change who may open it, or both. */
export const pipelineUpdateSchema = z
  .object({ name: pipelineNameSchema.optional(), allowedRoles: allowedRolesSchema.optional() })
  .strict()
  .refine((update) => update.name !== undefined || update.allowedRoles !== undefined, { message: 'give a new name or allowedRoles', path: ['allowedRoles'] });
export type PipelineUpdate = z.infer<typeof pipelineUpdateSchema>;

export const PIPELINE_MAX_STAGES = 20;

const stageSchema = z
  .object({
    name: z.string().trim().min(1, 'name every stage').max(60, 'at most 60 characters'),
    probability: z.number().int('a whole percentage').min(0, 'at least 0').max(100, 'at most 100'),
    outcome: z.enum(['open', 'won', 'lost'], { error: 'one of open, won, lost' })
  })
  .strict();

type StageInput = z.infer<typeof stageSchema>;

/**
 * Forecasts weigh each deal by its stage's probability, so a won stage is certain and a lost one worthless. Each
 * problem names its field ("stages.5.probability") so a form can show it beside the input.
 */
function checkStageRules(stages: StageInput[], context: z.RefinementCtx): void {
  const seen = new Set<string>();
  stages.forEach((stage, index) => {
    const name = stage.name.trim().toLowerCase();
    if (seen.has(name)) context.addIssue({ code: 'custom', path: [index, 'name'], message: 'each stage name once' });
    seen.add(name);
    if (stage.outcome === 'won' && stage.probability !== 100) context.addIssue({ code: 'custom', path: [index, 'probability'], message: 'a won stage is 100%' });
    if (stage.outcome === 'lost' && stage.probability !== 0) context.addIssue({ code: 'custom', path: [index, 'probability'], message: 'a lost stage is 0%' });
  });
  if (!stages.some((stage) => stage.outcome === 'open')) context.addIssue({ code: 'custom', path: [], message: 'at least one open stage, where deals are worked' });
}

/** A new pipeline: its name, its stages in order (the sales stages when left out) and who may open it. */
export const pipelineCreateSchema = z
  .object({
    name: pipelineNameSchema,
    stages: z
      .array(stageSchema)
      .min(1, 'at least one stage')
      .max(PIPELINE_MAX_STAGES, `at most ${PIPELINE_MAX_STAGES} stages`)
      .superRefine(checkStageRules)
      .optional(),
    allowedRoles: allowedRolesSchema.optional()
  })
  .strict();
export type PipelineCreate = z.infer<typeof pipelineCreateSchema>;

export interface UserView {
  id: string;
  email: string;
  name: string;
}

export interface WorkspaceView {
  id: string;
  name: string;
  role: Role;
  contactsRoom: string;
}

/** POST /api/workspaces: the new workspace (you are its admin) and its sample pipeline. */
export interface WorkspaceCreated extends WorkspaceView {
  pipelineId: string;
}

export interface MeResponse {
  user: UserView;
  workspaces: WorkspaceView[];
}

export interface PipelineView {
  id: string;
  name: string;
  room: string;
  workspaceId: string;
  /** The roles (besides admin) that may open it; null: every member. */
  allowedRoles: Role[] | null;
  /** May the caller change this board? False for viewers. */
  canEdit: boolean;
}

export interface MemberView extends UserView {
  role: Role;
}

export interface InviteView {
  id: string;
  email: string | null;
  role: Role;
  url: string;
  token: string;
  expiresAt: string;
  createdBy: string;
}

export interface InvitePreview {
  workspaceId: string;
  workspaceName: string;
  invitedBy: string;
  email: string | null;
  role: Role;
  expiresAt: string;
}

export interface ApiError {
  error: string;
  field?: string;
  reason: string;
}
