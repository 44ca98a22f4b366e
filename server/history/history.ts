import { readDeal, readStages } from '../../shared/board-doc.ts';
import { readContact, restoreContact, type Contact } from '../../shared/contacts-doc.ts';
import type { ChangesResponse, DeletedContact, DeletedDeal, HistoryMoments } from '../../shared/history.ts';
import { boardRoom, contactsRoom } from '../../shared/rooms.ts';
import type { Db } from '../store/db.ts';
import { serverWrite, type Room } from '../sync/room.ts';
import type { Rooms } from '../sync/rooms.ts';
import { changeEntry, deletedContactView, deletedDealView, lastRemoval, readChanges, removedEntities, stageDeltas } from './feed.ts';
import { restoreBoardTo, restoreRemovedDeal, revertChanges } from './restore.ts';
import { docAt, historyMoments, oldestDoc, stateAt } from './timeline.ts';

const WEEK = 7 * 86_400_000;
/** The feed lists at most this many changes (the newest); `truncated` says when there were more. */
const FEED_LIMIT = 2_000;

export type RestoreOutcome<T> = { ok: true; value: T } | { ok: false; status: 404 | 409; reason: string };

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
    const rows = await readChanges(this.db, room, 'AND c.at > $2', [from], FEED_LIMIT + 1);
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
    const present = await this.withRoom(room, (live) => (id: string) => readDeal(live.doc, id) !== undefined);
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

  /** Admins: the board's deals and stage names become what they were at `at`, as one new change. */
  async restoreBoard(pipelineId: string, at: number, actorId: string): Promise<RestoreOutcome<{ at: number; changed: number }>> {
    const room = boardRoom(pipelineId);
    await this.rooms.settle(room);
    const old = await docAt(this.db, room, Math.min(at, this.clock()));
    if (!old) return { ok: false, status: 404, reason: 'history holds nothing that old' };
    try {
      return await this.withRoom(room, (live) => ({ ok: true, value: { at: old.shownAt, changed: restoreBoardTo(live.doc, old.doc, serverWrite(actorId)) } }));
    } finally {
      old.doc.destroy();
    }
  }

  /** Admins: undo what one member changed on the board between `from` and `to`, leaving others' edits in place. */
  async revertMember(pipelineId: string, userId: string, from: number, to: number, actorId: string): Promise<{ reverted: number }> {
    const room = boardRoom(pipelineId);
    await this.rooms.settle(room);
    const theirs = await readChanges(this.db, room, 'AND c.user_id = $2 AND c.at >= $3 AND c.at <= $4', [userId, from, to], 100_000);
    if (!theirs.length) return { reverted: 0 };
    const firstId = Math.min(...theirs.map((change) => change.id));
    const others = await readChanges(this.db, room, 'AND c.id > $2 AND (c.user_id IS NULL OR c.user_id <> $3)', [firstId, userId], 100_000);
    return this.withRoom(room, (live) => ({ reverted: revertChanges(live.doc, theirs, others, serverWrite(actorId)) }));
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
