import type { AuditAction, AuditEntry, ChangeFeedPage, ChangesResponse, DeletedContact, DeletedDeal, HistoryMoments, RestoreRecord } from '$shared/history.ts';
import { ApiError, request } from './api.ts';

/** The history state route answers the board doc as one Yjs update, and the moment it shows in this header. */
export const STATE_AT_HEADER = 'X-Lanes-State-At';

/** The audit log's filters, sent as query parameters; `format=csv` answers the same rows as a text/csv download. */
export interface AuditQuery {
  action?: AuditAction;
  userId?: string;
  from?: number;
  to?: number;
  limit?: number;
}

/** What a board (or contacts) restore answers: the moment shown, how many records it changed, and its id for an undo. */
export interface BoardRestored {
  at: number;
  changed: number;
  /** Names the restore for "Undo restore"; null when it changed nothing. */
  restoreId: string | null;
}

/** Which doc a restore, its undo or a member revert is about: a pipeline's board, or a workspace's contacts. */
export type HistoryScope = { kind: 'board'; pipelineId: string } | { kind: 'contacts'; workspaceId: string };

/** What a member revert answers: how many of their changes were undone. */
export interface MemberReverted {
  reverted: number;
}

export interface MemberRevert {
  userId: string;
  from: number;
  to: number;
}

/** A board doc as it was: one Yjs update, and the moment the server says it shows. */
export interface BoardStateAt {
  update: Uint8Array;
  at: number;
}

const pipelinePath = (pipelineId: string) => `/api/pipelines/${encodeURIComponent(pipelineId)}`;
const workspacePath = (workspaceId: string) => `/api/workspaces/${encodeURIComponent(workspaceId)}`;
const scopePath = (scope: HistoryScope) => (scope.kind === 'board' ? pipelinePath(scope.pipelineId) : `${workspacePath(scope.workspaceId)}/contacts`);

/** The audit filters as query parameters, leaving out those not set. */
export function auditSearch(query: AuditQuery, format?: 'csv'): string {
  const params = new URLSearchParams();
  if (query.action) params.set('action', query.action);
  if (query.userId) params.set('userId', query.userId);
  if (query.from !== undefined) params.set('from', String(query.from));
  if (query.to !== undefined) params.set('to', String(query.to));
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  if (format) params.set('format', format);
  const search = params.toString();
  return search ? `?${search}` : '';
}

/** The board doc's state as of `at`, fetched as bytes (the only non-JSON answer of the API). */
async function stateAt(pipelineId: string, at: number): Promise<BoardStateAt> {
  let response: Response;
  try {
    response = await fetch(`${pipelinePath(pipelineId)}/history/state?at=${Math.round(at)}`, { credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'no connection to the Lanes server');
  }
  if (!response.ok) {
    const text = await response.text();
    let reason = response.status === 404 ? 'the board’s history does not reach back that far' : response.statusText;
    try {
      reason = JSON.parse(text)?.reason ?? reason;
    } catch {
      // Not JSON (a proxy's error page): keep the status text.
    }
    throw new ApiError(response.status, reason);
  }
  const shownAt = Number(response.headers.get(STATE_AT_HEADER));
  return { update: new Uint8Array(await response.arrayBuffer()), at: Number.isFinite(shownAt) && shownAt > 0 ? shownAt : at };
}

/** The history, review, restore and audit routes (issue #10), typed by shared/history.ts. */
export const historyApi = {
  timeline: (pipelineId: string) => request<HistoryMoments>('GET', `${pipelinePath(pipelineId)}/history`),
  stateAt,
  /** Without `since`, the server picks the last review of this pipeline, else a week ago. */
  changesSince: (pipelineId: string, since?: number) =>
    request<ChangesResponse>('GET', `${pipelinePath(pipelineId)}/changes${since === undefined ? '' : `?since=${Math.round(since)}`}`),
  /** This user starts presenting this pipeline: the moment "since the last review" counts from next time. */
  markReview: (pipelineId: string) => request<{ at: number }>('POST', `${pipelinePath(pipelineId)}/reviews`),
  deletedDeals: (pipelineId: string) => request<DeletedDeal[]>('GET', `${pipelinePath(pipelineId)}/deleted-deals`),
  restoreDeal: (pipelineId: string, dealId: string) =>
    request<{ dealId: string }>('POST', `${pipelinePath(pipelineId)}/deals/${encodeURIComponent(dealId)}/restore`),
  restoreBoard: (pipelineId: string, at: number) => request<BoardRestored>('POST', `${pipelinePath(pipelineId)}/restore`, { at: Math.round(at) }),
  /** Admins: a board or the contacts back to a moment, as a new change. */
  restoreTo: (scope: HistoryScope, at: number) => request<BoardRestored>('POST', `${scopePath(scope)}/restore`, { at: Math.round(at) }),
  /** Admins: the restores of a board or the contacts, newest first. */
  restores: (scope: HistoryScope) => request<RestoreRecord[]>('GET', `${scopePath(scope)}/restores`),
  /** Admins: undo a restore, as a new change that puts back what it changed. */
  undoRestore: (scope: HistoryScope, restoreId: string) =>
    request<{ restoreId: string; changed: number }>('POST', `${scopePath(scope)}/restores/${encodeURIComponent(restoreId)}/undo`),
  /** Admins: undo one member's changes on a board or in the contacts. */
  revertMember: (scope: HistoryScope, revert: MemberRevert) => request<MemberReverted>('POST', `${scopePath(scope)}/revert`, revert),
  /** The change feed with a cursor, oldest first: pass the previous page's `next` as `after`. */
  feed: (scope: HistoryScope, cursor: { after?: number; since?: number; limit?: number } = {}) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(cursor)) if (value !== undefined) params.set(key, String(value));
    const search = params.toString();
    return request<ChangeFeedPage>('GET', `${scopePath(scope)}/changes/feed${search ? `?${search}` : ''}`);
  },
  deletedContacts: (workspaceId: string) => request<DeletedContact[]>('GET', `${workspacePath(workspaceId)}/deleted-contacts`),
  restoreContact: (workspaceId: string, contactId: string) =>
    request<{ contactId: string }>('POST', `${workspacePath(workspaceId)}/contacts/${encodeURIComponent(contactId)}/restore`),
  auditLog: (workspaceId: string, query: AuditQuery = {}) => request<{ entries: AuditEntry[] }>('GET', `${workspacePath(workspaceId)}/audit${auditSearch(query)}`),
  /** Where the browser downloads the same audit rows as CSV (the session cookie goes with a plain link). */
  auditCsvUrl: (workspaceId: string, query: AuditQuery = {}) => `${workspacePath(workspaceId)}/audit${auditSearch(query, 'csv')}`
};

export type HistoryApi = typeof historyApi;
