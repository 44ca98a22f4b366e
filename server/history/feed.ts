import type * as Y from 'yjs';
import { readDeals, readStages, type Stage } from '../../shared/board-doc.ts';
import type { ChangeEntry, ChangeKind, DeletedContact, DeletedDeal, PersonRef, StageDelta } from '../../shared/history.ts';
import { summarizeColumn } from '../../shared/pipeline-stats.ts';
import type { Sql } from '../store/db.ts';
import type { EntityChange } from './changes.ts';

/** One row of doc_changes with its author's name. */
export interface ChangeRow extends EntityChange {
  id: number;
  updateId: number;
  at: number;
  user: PersonRef | null;
}

const parseJson = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

/**
 * Stored changes of a room, newest first (oldest first with `order` 'ASC'); `where` adds conditions on `c` with
 * parameters from $2 on.
 */
export async function readChanges(db: Sql, room: string, where = '', params: unknown[] = [], limit = 10_000, order: 'ASC' | 'DESC' = 'DESC'): Promise<ChangeRow[]> {
  const rows = await db.query<{
    id: number;
    update_id: number;
    at: number;
    user_id: string | null;
    user_name: string | null;
    entity_id: string;
    title: string;
    kind: ChangeKind;
    field: string | null;
    before: string | null;
    after: string | null;
  }>(
    `SELECT c.id, c.update_id, c.at, c.user_id, u.name AS user_name, c.entity_id, c.title, c.kind, c.field, c.before, c.after
     FROM doc_changes c LEFT JOIN users u ON u.id = c.user_id
     WHERE c.room = $1 ${where} ORDER BY c.id ${order === 'ASC' ? 'ASC' : 'DESC'} LIMIT ${Math.trunc(limit)}`,
    [room, ...params]
  );
  return rows.map((row) => ({
    id: Number(row.id),
    updateId: Number(row.update_id),
    at: Number(row.at),
    user: row.user_id ? { id: row.user_id, name: row.user_name ?? 'former member' } : null,
    entityId: row.entity_id,
    title: row.title,
    kind: row.kind,
    field: row.field,
    before: parseJson(row.before),
    after: parseJson(row.after)
  }));
}

const stageRef = (stages: Map<string, Stage>, id: unknown): { id: string; name: string } | undefined =>
  typeof id === 'string' ? { id, name: stages.get(id)?.name ?? 'removed stage' } : undefined;

/** A stored change as the feed shows it: moves name their stages, additions where they landed. */
export function changeEntry(row: ChangeRow, stages: Map<string, Stage>): ChangeEntry {
  const base: ChangeEntry = { id: row.id, at: row.at, user: row.user, kind: row.kind, dealId: row.entityId, title: row.title };
  const before = row.before as { stageId?: unknown } | null;
  const after = row.after as { stageId?: unknown } | null;
  switch (row.kind) {
    case 'moved':
    case 'won':
    case 'lost':
      return { ...base, field: 'stageId', fromStage: stageRef(stages, before?.stageId), toStage: stageRef(stages, after?.stageId) };
    case 'added':
    case 'restored':
      return { ...base, toStage: stageRef(stages, after?.stageId) };
    case 'removed':
      return { ...base, fromStage: stageRef(stages, before?.stageId) };
    case 'edited':
      return { ...base, field: row.field ?? undefined, before: row.before, after: row.after };
    case 'notes_edited': {
      const replaces = Number((row.before as { replaces?: unknown } | null)?.replaces);
      return { ...base, field: 'notes', after: row.after, ...(Number.isInteger(replaces) && replaces > 0 ? { replaces } : {}) };
    }
    case 'stage_changed':
      return { ...base, stage: { id: row.entityId, name: stages.get(row.entityId)?.name ?? row.title }, field: row.field ?? undefined, before: row.before, after: row.after };
  }
}

/** A contact's change as the feed shows it (`dealId` names the contact). */
export function contactChangeEntry(row: ChangeRow): ChangeEntry {
  return { id: row.id, at: row.at, user: row.user, kind: row.kind, dealId: row.entityId, title: row.title, field: row.field ?? undefined, before: row.before, after: row.after };
}

/** Changes after the cursor `after` (a change id), or accepted after `since` (ms), oldest first, at most `limit`. */
export async function readFeedPage(db: Sql, room: string, cursor: { after?: number; since?: number }, limit: number): Promise<{ rows: ChangeRow[]; next: number; more: boolean }> {
  const rows =
    cursor.since !== undefined
      ? await readChanges(db, room, 'AND c.at > $2', [cursor.since], limit + 1, 'ASC')
      : await readChanges(db, room, 'AND c.id > $2', [cursor.after ?? 0], limit + 1, 'ASC');
  const page = rows.slice(0, limit);
  if (page.length) return { rows: page, next: page.at(-1)!.id, more: rows.length > limit };
  if (cursor.since === undefined) return { rows: page, next: cursor.after ?? 0, more: false };
  // Nothing after that moment yet: every stored change is older, so the next page starts after the newest.
  const newest = await db.query<{ id: number | null }>('SELECT max(id) AS id FROM doc_changes WHERE room = $1', [room]);
  return { rows: page, next: Number(newest[0]?.id ?? 0), more: false };
}

/** Count, total and weighted value per stage of the board now, against the same at `since` (stage win % of now). */
export function stageDeltas(before: Y.Doc | null, now: Y.Doc): StageDelta[] {
  const oldDeals = before ? readDeals(before) : [];
  const newDeals = readDeals(now);
  return readStages(now).map((stage) => {
    const was = summarizeColumn(stage, oldDeals.filter((deal) => deal.stageId === stage.id));
    const is = summarizeColumn(stage, newDeals.filter((deal) => deal.stageId === stage.id));
    return {
      stageId: stage.id,
      name: stage.name,
      countBefore: was.count,
      countNow: is.count,
      totalBefore: was.total,
      totalNow: is.total,
      weightedBefore: was.weighted,
      weightedNow: is.weighted
    };
  });
}

/** Entities removed within history and not present now, newest removal first, once each. */
export async function removedEntities(db: Sql, room: string, presentNow: (id: string) => boolean): Promise<ChangeRow[]> {
  const removals = await readChanges(db, room, "AND c.kind = 'removed'");
  const seen = new Set<string>();
  return removals.filter((row) => {
    if (seen.has(row.entityId) || presentNow(row.entityId)) return false;
    seen.add(row.entityId);
    return true;
  });
}

export const deletedDealView = (row: ChangeRow): DeletedDeal => ({ dealId: row.entityId, title: row.title, deletedAt: row.at, deletedBy: row.user });
export const deletedContactView = (row: ChangeRow): DeletedContact => ({
  contactId: row.entityId,
  name: row.title,
  title: row.title,
  deletedAt: row.at,
  deletedBy: row.user
});

/** The newest removal of an entity: what restoring it brings back. */
export async function lastRemoval(db: Sql, room: string, entityId: string): Promise<ChangeRow | null> {
  return (await readChanges(db, room, "AND c.kind = 'removed' AND c.entity_id = $2", [entityId], 1))[0] ?? null;
}
