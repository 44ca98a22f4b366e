import * as Y from 'yjs';
import { readDeal, readStages } from '../../shared/board-doc.ts';
import { boardStageIds } from '../../shared/doc-schema.ts';
import { readContact, restoreContact, type Contact } from '../../shared/contacts-doc.ts';
import type { ChangeFeedPage, ChangesResponse, DeletedContact, DeletedDeal, HistoryMoments, RestoreRecord } from '../../shared/history.ts';
import { boardRoom, contactsRoom } from '../../shared/rooms.ts';
import type { Db } from '../store/db.ts';
import { readSnapshot } from '../store/update-log.ts';
import { serverWrite, type Room, type ServerWrite } from '../sync/room.ts';
import type { Rooms } from '../sync/rooms.ts';
import { changeEntry, contactChangeEntry, deletedContactView, deletedDealView, lastRemoval, readChanges, readFeedPage, removedEntities, stageDeltas } from './feed.ts';
import { restoreBoardTo, restoreContactsTo, restoreRemovedDeal, revertChanges, revertContactChanges, undoBoardRestore, undoContactsRestore } from './restore.ts';
import { docAt, docBeforeRow, historyMoments, loggedUpdateId, oldestDoc, stateAt } from './timeline.ts';

const WEEK = 7 * 86_400_000;
/** The feed lists at most this many changes (the newest); `truncated` says when there were more. */
const FEED_LIMIT = 2_000;

export type RestoreOutcome<T> = { ok: true; value: T } | { ok: false; status: 404 | 409; reason: string };

/** What the history can restore or revert: a pipeline's board, or a workspace's contacts. */
export type HistoryTarget = { kind: 'board'; pipelineId: string } | { kind: 'contacts'; workspaceId: string };

const roomOf = (target: HistoryTarget) => (target.kind === 'board' ? boardRoom(target.pipelineId) : contactsRoom(target.workspaceId));

/** A whole-doc restore as done: what it changed, and which log row holds it (what an undo goes back to the state before). */
export interface DocRestored {
  at: number;
  changed: number;
  /** The log row of the restore's update; null when it changed nothing (then there is nothing to undo). */
  restoreUpdateId: number | null;
}

/**
 * History as the REST routes read and write it: every read first settles the room (stores what is pending and
 * derives its changes), every restore writes through the live room as the acting user.
 */
export class History {
  constructor(
    private readonly db: Db,
    private readonly rooms: Rooms,
    private readonly clock: () => number
  ) {}

  private async withRoom<T>(name: string, work: (room: Room) => T): Promise<T> {
    const room = await this.rooms.acquire(name);
    try {
      return work(room);
    } finally {
      this.rooms.release(room);
    }
  }

  async moments(pipelineId: string): Promise<HistoryMoments> {
    const room = boardRoom(pipelineId);
    await this.rooms.settle(room);
    const { checkpoints, exactFrom } = await historyMoments(this.db, room);
    return { checkpoints: checkpoints.map((at) => ({ at })), oldest: checkpoints[0] ?? null, now: this.clock(), exactFrom };
  }

  async boardStateAt(pipelineId: string, at: number): Promise<{ state: Uint8Array; shownAt: number } | null> {
    const room = boardRoom(pipelineId);
    await this.rooms.settle(room);
    return stateAt(this.db, room, Math.min(at, this.clock()));
  }

  async lastReviewAt(pipelineId: string): Promise<number | null> {
    const rows = await this.db.query<{ at: number }>('SELECT max(at) AS at FROM pipeline_reviews WHERE pipeline_id = $1', [pipelineId]);
    return rows[0]?.at === null || rows[0]?.at === undefined ? null : Number(rows[0].at);
  }

  async recordReview(pipelineId: string, userId: string): Promise<number> {
    const at = this.clock();
    await this.db.query('INSERT INTO pipeline_reviews (pipeline_id, user_id, at) VALUES ($1, $2, $3)', [pipelineId, userId, at]);
    return at;
  }

  /** What changed on a board since `since` (default: its last review, else a week ago), newest first. */
  async changesSince(pipelineId: string, since?: number): Promise<ChangesResponse> {
    const room = boardRoom(pipelineId);
    await this.rooms.settle(room);
    const until = this.clock();
    const lastReviewAt = await this.lastReviewAt(pipelineId);
    const from = since ?? lastReviewAt ?? until - WEEK;
    const rows = await readChanges(this.db, room, 'AND c.at >= $2', [from], FEED_LIMIT + 1);
    // Before the board's history begins (say, a board made yesterday and a week asked for), compare with its start.
    const before = (await docAt(this.db, room, from))?.doc ?? (await oldestDoc(this.db, room));
    return this.withRoom(room, (live) => {
      const stages = new Map([...(before ? readStages(before) : []), ...readStages(live.doc)].map((stage) => [stage.id, stage]));
      const response: ChangesResponse = {
        since: from,
        until,
        lastReviewAt,
        changes: rows.slice(0, FEED_LIMIT).map((row) => changeEntry(row, stages)),
        stages: stageDeltas(before, live.doc),
        truncated: rows.length > FEED_LIMIT
      };
      before?.destroy();
      return response;
    });
  }

  async deletedDeals(pipelineId: string): Promise<DeletedDeal[]> {
    const room = boardRoom(pipelineId);
    await this.rooms.settle(room);
    const present = await this.withRoom(room, (live) => {
      const stageIds = boardStageIds(live.doc);
      return (id: string) => readDeal(live.doc, id, stageIds) !== undefined;
    });
    return (await removedEntities(this.db, room, present)).map(deletedDealView);
  }

  async restoreDeal(pipelineId: string, dealId: string, actorId: string): Promise<RestoreOutcome<{ dealId: string; title: string }>> {
    const room = boardRoom(pipelineId);
    await this.rooms.settle(room);
    const removal = await lastRemoval(this.db, room, dealId);
    return this.withRoom(room, (live) => {
      if (readDeal(live.doc, dealId)) return { ok: false, status: 409, reason: 'this deal is on the board now' };
      if (!removal) return { ok: false, status: 404, reason: 'no removal of this deal in history' };
      restoreRemovedDeal(live.doc, removal, serverWrite(actorId));
      return { ok: true, value: { dealId, title: removal.title } };
    });
  }

  /**
   * Admins: the board's deals and stage names (or the workspace's contacts) become what they were at `at`, as one
   * new change, stored before this returns so its log row is known (an undo goes back to just before it).
   */
  async restoreTo(target: HistoryTarget, at: number, actorId: string): Promise<RestoreOutcome<DocRestored>> {
    const room = roomOf(target);
    await this.rooms.settle(room);
    const old = await docAt(this.db, room, Math.min(at, this.clock()));
    if (!old) return { ok: false, status: 404, reason: 'history holds nothing that old' };
    try {
      const restore = (live: Y.Doc, origin: ServerWrite) => (target.kind === 'board' ? restoreBoardTo(live, old.doc, origin) : restoreContactsTo(live, old.doc, origin));
      return { ok: true, value: { at: old.shownAt, ...(await this.writeBack(room, actorId, restore)) } };
    } finally {
      old.doc.destroy();
    }
  }

  /**
   * Admins: undo a restore, as a new change that puts back what it changed, to the state just before it, where it
   * still holds what the restore left (edits made since stay; the restore itself stays in the history).
   * `restoreUpdateId` is the restore's log row (DocRestored).
   */
  async undoRestore(target: HistoryTarget, restoreUpdateId: number, actorId: string): Promise<RestoreOutcome<{ changed: number; restoreUpdateId: number | null }>> {
    const room = roomOf(target);
    await this.rooms.settle(room);
    const pre = await docBeforeRow(this.db, room, restoreUpdateId);
    const restore = pre ? await this.db.query<{ data: Uint8Array }>('SELECT data FROM doc_updates WHERE room = $1 AND id = $2', [room, restoreUpdateId]) : [];
    if (!pre || !restore[0]) {
      pre?.destroy();
      return { ok: false, status: 409, reason: 'the history no longer holds the state just before that restore: restore an earlier moment instead' };
    }
    const post = new Y.Doc();
    Y.applyUpdate(post, Y.encodeStateAsUpdate(pre));
    Y.applyUpdate(post, new Uint8Array(restore[0].data));
    try {
      return {
        ok: true,
        value: await this.writeBack(room, actorId, (live, origin) =>
          target.kind === 'board' ? undoBoardRestore(live, pre, post, origin) : undoContactsRestore(live, pre, post, origin)
        )
      };
    } finally {
      pre.destroy();
      post.destroy();
    }
  }

  /** Write `write` into the live room as the actor, as one change; wait until it is stored and say which log row holds it. */
  private async writeBack(room: string, actorId: string, write: (live: Y.Doc, origin: ServerWrite) => number): Promise<{ changed: number; restoreUpdateId: number | null }> {
    const origin = serverWrite(actorId);
    let written = null as Uint8Array | null;
    const changed = await this.withRoom(room, (live) => {
      const capture = (update: Uint8Array, from: unknown) => {
        if (from === origin) written = update;
      };
      live.doc.on('update', capture);
      try {
        return write(live.doc, origin);
      } finally {
        live.doc.off('update', capture);
      }
    });
    if (!written) return { changed, restoreUpdateId: null };
    await this.rooms.settle(room);
    return { changed, restoreUpdateId: await loggedUpdateId(this.db, room, actorId, written) };
  }

  /** Admins: the whole-doc restores of a board (or the contacts), newest first, each with whether it was undone. */
  async restores(target: HistoryTarget, workspaceId: string): Promise<RestoreRecord[]> {
    return (await this.restoreEntries(target, workspaceId)).map(({ restoreUpdateId: _row, ...record }) => record);
  }

  /** One recorded restore (its audit entry) of this target, with its log row, for an undo; null when there is none. */
  async restoreRecord(target: HistoryTarget, workspaceId: string, restoreId: string): Promise<(RestoreRecord & { restoreUpdateId: number | null }) | null> {
    return (await this.restoreEntries(target, workspaceId)).find((record) => record.id === restoreId) ?? null;
  }

  /** The restores' audit entries (with their undos), each with the log row of the restore's update. */
  private async restoreEntries(target: HistoryTarget, workspaceId: string): Promise<Array<RestoreRecord & { restoreUpdateId: number | null }>> {
    const room = roomOf(target);
    const targetId = target.kind === 'board' ? target.pipelineId : target.workspaceId;
    const rows = await this.db.query<{ id: number; at: number; actor_id: string | null; actor_name: string | null; action: string; detail: string }>(
      `SELECT a.id, a.at, a.actor_id, u.name AS actor_name, a.action, a.detail FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
       WHERE a.workspace_id = $1 AND a.target = $2 AND a.action IN ($3, 'restore_undone') ORDER BY a.id DESC LIMIT 500`,
      [workspaceId, targetId, target.kind === 'board' ? 'board_restored' : 'contacts_restored']
    );
    const person = (row: (typeof rows)[number]) => (row.actor_id ? { id: row.actor_id, name: row.actor_name ?? 'former member' } : null);
    const undone = new Map<string, { at: number; actor: RestoreRecord['actor'] }>();
    for (const row of rows) {
      if (row.action !== 'restore_undone') continue;
      const detail = JSON.parse(row.detail) as { restoreId?: unknown };
      undone.set(String(detail.restoreId), { at: Number(row.at), actor: person(row) });
    }
    const prunedThrough = Number((await readSnapshot(this.db, room))?.rawPrunedThrough ?? 0);
    return rows
      .filter((row) => row.action !== 'restore_undone')
      .map((row) => {
        const detail = JSON.parse(row.detail) as { at?: unknown; changed?: unknown; restoreUpdateId?: unknown };
        const id = String(row.id);
        const updateId = Number(detail.restoreUpdateId);
        const restoreUpdateId = Number.isInteger(updateId) && updateId > 0 ? updateId : null;
        return {
          id,
          at: Number(row.at),
          actor: person(row),
          restoredTo: Number(detail.at) || 0,
          changed: Number(detail.changed) || 0,
          undone: undone.get(id) ?? null,
          // Exact while the raw rows just before it are kept (docBeforeRow checks again on undo).
          undoable: !undone.has(id) && restoreUpdateId !== null && restoreUpdateId > prunedThrough,
          restoreUpdateId
        };
      });
  }

  /** The change feed with a cursor, oldest first (ChangeFeedPage): a read model follows a board or the contacts with it. */
  async feed(target: HistoryTarget, cursor: { after?: number; since?: number }, limit = 200): Promise<ChangeFeedPage> {
    const room = roomOf(target);
    await this.rooms.settle(room);
    const page = await readFeedPage(this.db, room, cursor, limit);
    if (target.kind === 'contacts') return { changes: page.rows.map(contactChangeEntry), next: page.next, more: page.more };
    const stages = await this.withRoom(room, (live) => new Map(readStages(live.doc).map((stage) => [stage.id, stage])));
    return { changes: page.rows.map((row) => changeEntry(row, stages)), next: page.next, more: page.more };
  }

  /** Admins: undo what one member changed on the board (or the contacts) between `from` and `to`, leaving others' edits in place. */
  async revertMember(target: HistoryTarget, userId: string, from: number, to: number, actorId: string): Promise<{ reverted: number }> {
    const room = roomOf(target);
    await this.rooms.settle(room);
    const theirs = await readChanges(this.db, room, 'AND c.user_id = $2 AND c.at >= $3 AND c.at <= $4', [userId, from, to], 100_000);
    if (!theirs.length) return { reverted: 0 };
    const firstId = Math.min(...theirs.map((change) => change.id));
    const others = await readChanges(this.db, room, 'AND c.id > $2 AND (c.user_id IS NULL OR c.user_id <> $3)', [firstId, userId], 100_000);
    const origin = serverWrite(actorId);
    return this.withRoom(room, (live) => ({
      reverted: target.kind === 'board' ? revertChanges(live.doc, theirs, others, origin) : revertContactChanges(live.doc, theirs, others, origin)
    }));
  }

  async deletedContacts(workspaceId: string): Promise<DeletedContact[]> {
    const room = contactsRoom(workspaceId);
    await this.rooms.settle(room);
    const present = await this.withRoom(room, (live) => (id: string) => readContact(live.doc, id) !== undefined);
    return (await removedEntities(this.db, room, present)).map(deletedContactView);
  }

  async restoreContact(workspaceId: string, contactId: string, actorId: string): Promise<RestoreOutcome<{ contactId: string; name: string }>> {
    const room = contactsRoom(workspaceId);
    await this.rooms.settle(room);
    const removal = await lastRemoval(this.db, room, contactId);
    return this.withRoom(room, (live) => {
      if (readContact(live.doc, contactId)) return { ok: false, status: 409, reason: 'this contact exists now' };
      if (!removal) return { ok: false, status: 404, reason: 'no removal of this contact in history' };
      restoreContact(live.doc, removal.before as Contact, { origin: serverWrite(actorId) });
      return { ok: true, value: { contactId, name: removal.title } };
    });
  }
}
