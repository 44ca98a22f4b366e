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

/** Stored changes of a room, newest first; `where` adds conditions on `c` with parameters from $2 on. */
export async function readChanges(db: Sql, room: string, where = '', params: unknown[] = [], limit = 10_000): Promise<ChangeRow[]> {
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
     WHERE c.room = $1 ${where} ORDER BY c.id DESC LIMIT ${Math.trunc(limit)}`,
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
  const base: ChangeEntry = { at: row.at, user: row.user, kind: row.kind, dealId: row.entityId, title: row.title };
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
  }
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
