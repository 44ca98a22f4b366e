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

export const tokenRequestSchema = z.object({ name: z.string().trim().min(1, 'name the token').max(80) }).strict();

export const inviteRequestSchema = z
  .object({ email: z.email('not an e-mail address').max(254).optional() })
  .strict();

export type Role = 'admin' | 'member';

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

export interface MeResponse {
  user: UserView;
  workspaces: WorkspaceView[];
}

export interface PipelineView {
  id: string;
  name: string;
  room: string;
  workspaceId: string;
}

export interface MemberView extends UserView {
  role: Role;
}

export interface InviteView {
  id: string;
  email: string | null;
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
  expiresAt: string;
}

export interface ApiError {
  error: string;
  field?: string;
  reason: string;
}
