import type { MeResponse } from '$shared/api.ts';
import { firstPageOf, type FirstPage } from '$shared/first-page.ts';
import { boardRoom } from '$shared/rooms.ts';
import type { BoardStore } from './board-store.svelte.ts';
import { cachedResponse, lastFirstPage, rememberFirstPage } from './offline.ts';

/** A first page on screen: whose kept page it is (null: the server's, for whoever asked) and of which pipeline. */
export interface ShownFirstPage {
  page: FirstPage;
  userId: string | null;
  pipelineId: string;
}

/** The first page the last signed-in user (the last /api/me answer) kept on this device for a pipeline, if any. */
export function keptFirstPage(pipelineId: string): ShownFirstPage | null {
  const userId = cachedResponse<MeResponse>('/api/me')?.user.id;
  const page = userId ? lastFirstPage(userId, boardRoom(pipelineId)) : null;
  return page && userId ? { page, userId, pipelineId } : null;
}

/**
 * Is the first page still what the board shows? Only until the doc itself is there: loaded from this device's copy
 * (its stages are in) or synced with the server. From then on the live board, never the page again.
 */
export function showsFirstPage(shown: ShownFirstPage | null, store: Pick<BoardStore, 'synced' | 'stages'> | null): boolean {
  return shown !== null && (!store || (!store.synced && store.stages.length === 0));
}

/**
 * Keep the live board's first page for this user's next visit. Only from a doc synced with the server (a copy that
 * may be behind would paint an older board next time); whatever is kept is only ever shown, never written to a doc.
 */
export function keepFirstPage(
  store: Pick<BoardStore, 'synced' | 'stages' | 'name' | 'columns' | 'mainCurrency' | 'contacts'>,
  userId: string,
  pipelineId: string,
  ownerName: (ownerId: string) => string | null = () => null
): boolean {
  if (!store.synced || !store.stages.length) return false;
  const page = firstPageOf(
    { name: store.name, stages: store.stages, columns: store.columns, mainCurrency: store.mainCurrency },
    { contact: (contactId) => store.contacts.get(contactId)?.name ?? null, owner: ownerName }
  );
  rememberFirstPage(userId, boardRoom(pipelineId), page);
  return true;
}
