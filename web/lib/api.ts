import type {
  ApiTokenCreated,
  ApiTokenView,
  InvitePreview,
  InviteView,
  MeResponse,
  MemberView,
  PipelineCreate,
  PipelineUpdate,
  PasswordResetRequested,
  PipelineView,
  Role,
  SignupPending,
  SignupVerified,
  UserView,
  WorkspaceCreated
} from '$shared/api.ts';

import { cacheResponse, cachedResponse, clearOfflineData } from './offline.ts';

/** A failed API call: the status, and for invalid input the field and the reason the server gave. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly field?: string,
    /** The whole answer, for refusals that say more (a 403 names the caller's role). */
    readonly body?: Record<string, unknown>
  ) {
    super(reason);
  }
}

/** GETs whose last answer is kept, so a board reloaded without network still knows who and where you are. */
const offlineReadable = (path: string) => path === '/api/me' || path === '/api/pipelines' || /^\/api\/workspaces\/[^/]+\/members$/.test(path);

/** What an admin's repair of a doc did (POST …/repair). */
export interface DocRepairView {
  repaired: string[];
  removed: string[];
  degraded: string | null;
}

/** One JSON call to the Lanes API; a refusal throws an ApiError with the server's reason. */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  } catch (error) {
    const cached = method === 'GET' && offlineReadable(path) ? cachedResponse<T>(path) : undefined;
    if (cached !== undefined) return cached;
    throw new ApiError(0, 'no connection to the Lanes server');
  }
  if (response.ok && method === 'GET' && offlineReadable(path)) {
    const text = await response.clone().text();
    if (text) cacheResponse(path, JSON.parse(text));
  }
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, json?.reason ?? response.statusText, json?.field, json ?? undefined);
  return json as T;
}

export const api = {
  /** A board's first page (shared/first-page.ts), to paint while its doc loads; check it with parseFirstPage. */
  firstPage: (pipelineId: string) => request<unknown>('GET', `/api/pipelines/${encodeURIComponent(pipelineId)}/first-page`),
  /** Through an e-mail invite the account exists at once (`user`); otherwise a link is on its way to the address. */
  signup: (body: { email: string; name: string; password: string; invite?: string }) =>
    request<{ user: UserView } | SignupPending>('POST', '/api/auth/signup', body),
  verifySignup: (body: { token: string; password: string }) => request<SignupVerified>('POST', '/api/auth/verify', body),
  requestPasswordReset: (email: string) => request<PasswordResetRequested>('POST', '/api/auth/password-reset', { email }),
  resetPassword: (body: { token: string; password: string }) =>
    request<{ status: 'password_changed'; sessionsEnded: number; tokensRevoked: number }>('POST', '/api/auth/password-reset/confirm', body),
  updateAccount: (body: { name: string }) => request<{ user: UserView }>('PATCH', '/api/account', body),
  changePassword: (body: { currentPassword: string; newPassword: string }) =>
    request<{ status: 'password_changed'; sessionsEnded: number }>('POST', '/api/account/password', body),
  login: (body: { email: string; password: string }) => request<{ user: UserView }>('POST', '/api/auth/login', body),
  /** Logging out also forgets what this browser kept for offline use. */
  logout: () => request<null>('POST', '/api/auth/logout').finally(clearOfflineData),
  logoutEverywhere: () => request<{ sessionsEnded: number; tokensRevoked: number; socketsClosed: number }>('POST', '/api/auth/logout-everywhere').finally(clearOfflineData),
  me: () => request<MeResponse>('GET', '/api/me'),
  tokens: () => request<ApiTokenView[]>('GET', '/api/tokens'),
  createToken: (name: string) => request<ApiTokenCreated>('POST', '/api/tokens', { name }),
  revokeToken: (tokenId: string) => request<null>('DELETE', `/api/tokens/${tokenId}`),
  /** A workspace of your own (you are its admin), with the sample pipeline. */
  createWorkspace: (name: string) => request<WorkspaceCreated>('POST', '/api/workspaces', { name }),
  pipelines: () => request<PipelineView[]>('GET', '/api/pipelines'),
  /** One pipeline; refused with 404 (none you can know of) or 403 (limited to other roles: `body.role` is yours). */
  pipeline: (pipelineId: string) => request<PipelineView>('GET', `/api/pipelines/${encodeURIComponent(pipelineId)}`),
  repairPipeline: (workspaceId: string, pipelineId: string) =>
    request<DocRepairView>('POST', `/api/workspaces/${workspaceId}/pipelines/${pipelineId}/repair`),
  repairContacts: (workspaceId: string) => request<DocRepairView>('POST', `/api/workspaces/${workspaceId}/contacts/repair`),
  members: (workspaceId: string) => request<MemberView[]>('GET', `/api/workspaces/${workspaceId}/members`),
  invites: (workspaceId: string) => request<InviteView[]>('GET', `/api/workspaces/${workspaceId}/invites`),
  changeMemberRole: (workspaceId: string, userId: string, role: Role) => request<MemberView>('PATCH', `/api/workspaces/${workspaceId}/members/${userId}`, { role }),
  /** Removes a member; with your own id, leaves the workspace. */
  removeMember: (workspaceId: string, userId: string) => request<null>('DELETE', `/api/workspaces/${workspaceId}/members/${userId}`),
  updatePipeline: (workspaceId: string, pipelineId: string, update: PipelineUpdate) =>
    request<PipelineView>('PATCH', `/api/workspaces/${workspaceId}/pipelines/${pipelineId}`, update),
  createPipeline: (workspaceId: string, body: PipelineCreate) => request<PipelineView>('POST', `/api/workspaces/${workspaceId}/pipelines`, body),
  createInvite: (workspaceId: string, body: { email?: string; role?: Role; expiresInDays?: number }) =>
    request<InviteView>('POST', `/api/workspaces/${workspaceId}/invites`, body),
  revokeInvite: (workspaceId: string, inviteId: string) => request<null>('DELETE', `/api/workspaces/${workspaceId}/invites/${inviteId}`),
  invite: (token: string) => request<InvitePreview>('GET', `/api/invites/${token}`),
  acceptInvite: (token: string) => request<{ workspaceId: string }>('POST', `/api/invites/${token}/accept`)
};
