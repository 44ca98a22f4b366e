import { Hono } from 'hono';
import type * as Y from 'yjs';
import { readCheckedFirstPage, readFirstPage, type FirstPage } from '../../shared/first-page.ts';
import { boardRoom, contactsRoom } from '../../shared/rooms.ts';
import type { AppDeps, AppEnv } from '../app-env.ts';
import { requireUser } from '../auth/middleware.ts';
import type { Rooms } from '../sync/rooms.ts';
import { roomAccess } from '../sync/socket-route.ts';
import { membersOf, pipelineWorkspace } from '../store/workspaces.ts';

/**
 * GET /api/pipelines/:pipelineId/first-page: the board's stages, column counts and sums and each column's first cards
 * (shared/first-page.ts), a few dozen kilobytes a browser paints at once while the whole doc (megabytes on a big
 * board) comes over the sync socket. The same access check as the board's socket (roomAccess); read from the loaded
 * rooms with the shared readers (a few milliseconds for 10,000 deals: the server's single thread also serves the
 * app's scripts meanwhile), and kept per doc until either doc changes, so a burst of page loads reads it once.
 */
export function firstPageRoutes(deps: AppDeps, rooms: Rooms) {
  const routes = new Hono<AppEnv>();
  /** How many updates each doc has taken since this module first saw it: a cached page is good while both stand still. */
  const versions = new WeakMap<Y.Doc, number>();
  const versionOf = (doc: Y.Doc) => {
    if (!versions.has(doc)) {
      versions.set(doc, 0);
      doc.on('update', () => versions.set(doc, (versions.get(doc) ?? 0) + 1));
    }
    return versions.get(doc)!;
  };
  /** The last page read for a board doc, with the versions of both docs it was read at. */
  const pages = new WeakMap<Y.Doc, { page: FirstPage; contacts: Y.Doc | null; board: number; contactsVersion: number }>();
  const noStore = { 'cache-control': 'private, no-store' };

  routes.get('/pipelines/:pipelineId/first-page', requireUser, async (c) => {
    const pipelineId = c.req.param('pipelineId');
    const room = boardRoom(pipelineId);
    // Database round trips take long on a busy server: those that do not depend on each other go together.
    const [access, workspaceId] = await Promise.all([roomAccess(deps, c.get('user')!.id, room), pipelineWorkspace(deps.db, pipelineId)]);
    if (!access.ok) return c.json({ error: access.status === 404 ? 'not_found' : 'forbidden', reason: access.reason }, access.status);
    const [boardHeld, contactsHeld, membersRead] = await Promise.allSettled([
      rooms.acquire(room),
      workspaceId ? rooms.acquire(contactsRoom(workspaceId)) : null,
      workspaceId ? membersOf(deps.db, workspaceId) : []
    ]);
    // Without contacts or owners the cards just name fewer people; without the board there is no page (and nothing held).
    const contacts = contactsHeld.status === 'fulfilled' ? contactsHeld.value : null;
    if (boardHeld.status === 'rejected') {
      if (contacts) rooms.release(contacts);
      throw boardHeld.reason;
    }
    const board = boardHeld.value;
    const members = membersRead.status === 'fulfilled' ? membersRead.value : [];
    try {
      let page = pages.get(board.doc);
      const fresh = page && contacts && page.contacts === contacts.doc && page.board === versionOf(board.doc) && page.contactsVersion === versionOf(contacts.doc);
      if (!page || !fresh) {
        // A healthy room holds only checked records: the quick reader. A degraded one may not: every deal is checked.
        const read = board.degraded ? readFirstPage : readCheckedFirstPage;
        page = { page: read(board.doc, contacts?.doc ?? null), contacts: contacts?.doc ?? null, board: versionOf(board.doc), contactsVersion: contacts ? versionOf(contacts.doc) : -1 };
        pages.set(board.doc, page);
      }
      // Owners' names come from the database, as GET …/members gives them, read afresh: a rename shows at once.
      const owners = new Map(members.map((member) => [member.id, member.name]));
      const ownerNames: Record<string, string> = {};
      for (const column of page.page.columns) for (const deal of column.deals) if (deal.ownerId && owners.has(deal.ownerId)) ownerNames[deal.ownerId] = owners.get(deal.ownerId)!;
      return c.json({ ...page.page, ownerNames }, 200, noStore);
    } finally {
      rooms.release(board);
      if (contacts) rooms.release(contacts);
    }
  });
  return routes;
}
