import * as Y from 'yjs';
import {
  deleteDeal,
  placeDeal,
  withExistingStage,
  readDeal,
  readDeals,
  readDealRecord,
  readStages,
  renameStage,
  restoreDeal,
  setDealNotesText,
  updateDeal,
  type Deal,
  type DealRecord
} from '../../shared/board-doc.ts';
import { boardStageIds } from '../../shared/doc-schema.ts';
import { deleteContact, readContact, readContacts, restoreContact, updateContact, type Contact } from '../../shared/contacts-doc.ts';
import type { ContactPatch, DealPatch } from '../../shared/deal-fields.ts';
import type { ServerWrite } from '../sync/room.ts';
import type { ChangeRow } from './feed.ts';
import { TRACKED_CONTACT_FIELDS, TRACKED_DEAL_FIELDS } from './changes.ts';

/**
 * Restores write through the live doc as new changes (synced to everyone, attributed to the acting user, stored
 * like any update), never by rewriting stored history. Each runs in one transaction: one update, one log row.
 */

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Run one step of a restore; a step the doc refuses (a value older rules no longer allow) is skipped, not fatal. */
function attempt(step: () => void): boolean {
  try {
    step();
    return true;
  } catch {
    return false;
  }
}

/** Bring back a removed deal as it was just before its removal (fields, place, tags, notes). */
export function restoreRemovedDeal(live: Y.Doc, removal: ChangeRow, origin: ServerWrite): void {
  restoreDeal(live, withExistingStage(live, removal.before as DealRecord), { origin });
}

/**
 * Make the board's deals and stage names what they were in `old`: deals added since are removed, deals removed
 * since come back, the others get their old fields, place and notes. Returns how many deals and stages changed.
 */
export function restoreBoardTo(live: Y.Doc, old: Y.Doc, origin: ServerWrite): number {
  let changed = 0;
  live.transact(() => {
    const oldStages = new Map(readStages(old).map((stage) => [stage.id, stage.name]));
    for (const stage of readStages(live)) {
      const name = oldStages.get(stage.id);
      if (name !== undefined && name !== stage.name) {
        renameStage(live, stage.id, name, { origin });
        changed++;
      }
    }
    const oldDeals = new Map(readDeals(old).map((deal) => [deal.id, deal]));
    for (const deal of readDeals(live)) {
      if (!oldDeals.has(deal.id)) {
        deleteDeal(live, deal.id, { origin });
        changed++;
      }
    }
    // Stage ids read once per doc (restoring a deal changes no stage) instead of once per deal read.
    const [oldStageIds, liveStageIds] = [boardStageIds(old), boardStageIds(live)];
    for (const [id] of oldDeals) {
      const was = readDealRecord(old, id, oldStageIds)!;
      const is = readDealRecord(live, id, liveStageIds);
      if (!is) {
        if (attempt(() => restoreDeal(live, withExistingStage(live, was), { origin }))) changed++;
      } else if (resetDeal(live, is, was, origin)) changed++;
    }
  }, origin);
  return changed;
}

/** Put one live deal's fields, place and notes back to `was`; true when anything differed. */
function resetDeal(live: Y.Doc, is: DealRecord, was: DealRecord, origin: ServerWrite): boolean {
  const patch: Record<string, unknown> = {};
  for (const field of TRACKED_DEAL_FIELDS) if (!sameValue(is[field], was[field])) patch[field] = was[field];
  const moved = is.stageId !== was.stageId || is.rank !== was.rank;
  const placeable = moved && readStages(live).some((stage) => stage.id === was.stageId);
  const edited = Object.keys(patch).length > 0 && attempt(() => updateDeal(live, is.id, patch as DealPatch, { origin }));
  const placed = placeable && attempt(() => placeDeal(live, is.id, { stageId: was.stageId, rank: was.rank }, { origin }));
  const noted = is.notes !== was.notes && attempt(() => setDealNotesText(live, is.id, was.notes, { origin }));
  return edited || placed || noted;
}

/**
 * Undo one member's changes (`theirs`, any order) where nobody else changed the same thing since: a field goes back
 * to its value before their edit when it still holds what they set and no one else edited it later; a deal they
 * added goes unless someone else changed it since; a deal they removed comes back. `others` are the changes other
 * people made after the first of theirs. Newest first, so several edits of one field unwind to the first value.
 */
export function revertChanges(live: Y.Doc, theirs: readonly ChangeRow[], others: readonly ChangeRow[], origin: ServerWrite): number {
  const touchedLater = (change: ChangeRow, fields: Array<string | null>) =>
    others.some((other) => other.entityId === change.entityId && other.id > change.id && (fields.includes(other.field) || other.kind === 'removed' || other.kind === 'added' || other.kind === 'restored'));
  let reverted = 0;
  live.transact(() => {
    for (const change of [...theirs].sort((a, b) => b.id - a.id)) {
      const current = readDeal(live, change.entityId);
      switch (change.kind) {
        case 'added':
        case 'restored':
          if (current && !others.some((other) => other.entityId === change.entityId && other.id > change.id)) {
            if (attempt(() => deleteDeal(live, change.entityId, { origin }))) reverted++;
          }
          break;
        case 'removed':
          if (!current && !touchedLater(change, [])) {
            if (attempt(() => restoreDeal(live, withExistingStage(live, change.before as DealRecord), { origin }))) reverted++;
          }
          break;
        case 'moved':
        case 'won':
        case 'lost':
          if (current && !touchedLater(change, ['stageId']) && current.stageId === (change.after as Deal).stageId) {
            const before = change.before as Pick<Deal, 'stageId' | 'rank'>;
            if (attempt(() => placeDeal(live, change.entityId, { stageId: before.stageId, rank: before.rank }, { origin }))) reverted++;
          }
          break;
        case 'stage_changed': {
          // Clients may only rename stages; a rename goes back when the name is still theirs and nobody renamed it since.
          const stage = readStages(live).find((candidate) => candidate.id === change.entityId);
          if (change.field !== 'name' || !stage || stage.name !== change.after || touchedLater(change, ['name'])) break;
          if (attempt(() => renameStage(live, change.entityId, String(change.before), { origin }))) reverted++;
          break;
        }
        case 'edited': {
          const field = change.field as (typeof TRACKED_DEAL_FIELDS)[number] | null;
          if (!current || !field || !TRACKED_DEAL_FIELDS.includes(field) || touchedLater(change, [field])) break;
          if (!sameValue(current[field], change.after)) break;
          if (attempt(() => updateDeal(live, change.entityId, { [field]: change.before } as DealPatch, { origin }))) reverted++;
          break;
        }
      }
    }
  }, origin);
  return reverted;
}

/**
 * Make the workspace's contacts what they were in `old`: contacts added since are removed, contacts removed since
 * come back, the others get their old fields. Returns how many contacts changed.
 */
export function restoreContactsTo(live: Y.Doc, old: Y.Doc, origin: ServerWrite): number {
  let changed = 0;
  live.transact(() => {
    const was = new Map(readContacts(old).map((contact) => [contact.id, contact]));
    for (const contact of readContacts(live)) {
      if (!was.has(contact.id) && attempt(() => deleteContact(live, contact.id, { origin }))) changed++;
    }
    for (const [id, then] of was) {
      const now = readContact(live, id);
      if (!now) {
        if (attempt(() => restoreContact(live, then, { origin }))) changed++;
        continue;
      }
      const patch: Record<string, unknown> = {};
      for (const field of TRACKED_CONTACT_FIELDS) if (now[field] !== then[field]) patch[field] = then[field];
      if (Object.keys(patch).length && attempt(() => updateContact(live, id, patch as ContactPatch, { origin }))) changed++;
    }
  }, origin);
  return changed;
}

/** revertChanges for the contacts doc: one member's contact additions, edits and removals, where nobody else changed them since. */
export function revertContactChanges(live: Y.Doc, theirs: readonly ChangeRow[], others: readonly ChangeRow[], origin: ServerWrite): number {
  const changedLater = (change: ChangeRow, field: string | null) =>
    others.some((other) => other.entityId === change.entityId && other.id > change.id && (field === null || other.field === field || other.kind !== 'edited'));
  let reverted = 0;
  live.transact(() => {
    for (const change of [...theirs].sort((a, b) => b.id - a.id)) {
      const current = readContact(live, change.entityId);
      switch (change.kind) {
        case 'added':
        case 'restored':
          if (current && !changedLater(change, null) && attempt(() => deleteContact(live, change.entityId, { origin }))) reverted++;
          break;
        case 'removed':
          if (!current && !changedLater(change, null) && attempt(() => restoreContact(live, change.before as Contact, { origin }))) reverted++;
          break;
        case 'edited': {
          const field = change.field as (typeof TRACKED_CONTACT_FIELDS)[number] | null;
          if (!current || !field || !TRACKED_CONTACT_FIELDS.includes(field) || changedLater(change, field)) break;
          if (!sameValue(current[field], change.after)) break;
          if (attempt(() => updateContact(live, change.entityId, { [field]: change.before } as ContactPatch, { origin }))) reverted++;
          break;
        }
      }
    }
  }, origin);
  return reverted;
}

/**
 * Undo a whole-doc restore as a new change: `pre` is the doc just before the restore, `post` just after it. What
 * the restore changed goes back to `pre` where it still holds what the restore left (`post`); what anyone changed
 * since stays. Deals (fields, place, notes) and stage names on a board; contacts in the contacts doc.
 */
export function undoBoardRestore(live: Y.Doc, pre: Y.Doc, post: Y.Doc, origin: ServerWrite): number {
  let changed = 0;
  live.transact(() => {
    const preStages = new Map(readStages(pre).map((stage) => [stage.id, stage.name]));
    const postStages = new Map(readStages(post).map((stage) => [stage.id, stage.name]));
    for (const stage of readStages(live)) {
      const was = preStages.get(stage.id);
      if (was !== undefined && was !== postStages.get(stage.id) && stage.name === postStages.get(stage.id)) {
        if (attempt(() => renameStage(live, stage.id, was, { origin }))) changed++;
      }
    }
    const ids = new Set([...readDeals(pre), ...readDeals(post)].map((deal) => deal.id));
    const [preStageIds, postStageIds, liveStageIds] = [boardStageIds(pre), boardStageIds(post), boardStageIds(live)];
    for (const id of ids) {
      const was = readDealRecord(pre, id, preStageIds);
      const left = readDealRecord(post, id, postStageIds);
      const is = readDealRecord(live, id, liveStageIds);
      if (sameValue(was, left)) continue;
      if (!was && left && is && sameValue(is, left)) {
        if (attempt(() => deleteDeal(live, id, { origin }))) changed++;
      } else if (was && !left && !is) {
        if (attempt(() => restoreDeal(live, withExistingStage(live, was), { origin }))) changed++;
      } else if (was && left && is) {
        // Field by field: only what still holds the restore's value goes back.
        const target: DealRecord = { ...is };
        for (const field of [...TRACKED_DEAL_FIELDS, 'notes'] as const) if (sameValue(is[field], left[field])) Object.assign(target, { [field]: was[field] });
        if (is.stageId === left.stageId && is.rank === left.rank) Object.assign(target, { stageId: was.stageId, rank: was.rank });
        if (resetDeal(live, is, target, origin)) changed++;
      }
    }
  }, origin);
  return changed;
}

export function undoContactsRestore(live: Y.Doc, pre: Y.Doc, post: Y.Doc, origin: ServerWrite): number {
  let changed = 0;
  live.transact(() => {
    const ids = new Set([...readContacts(pre), ...readContacts(post)].map((contact) => contact.id));
    for (const id of ids) {
      const was = readContact(pre, id);
      const left = readContact(post, id);
      const is = readContact(live, id);
      if (sameValue(was, left)) continue;
      if (!was && left && is && sameValue(is, left)) {
        if (attempt(() => deleteContact(live, id, { origin }))) changed++;
      } else if (was && !left && !is) {
        if (attempt(() => restoreContact(live, was, { origin }))) changed++;
      } else if (was && left && is) {
        const patch: Record<string, unknown> = {};
        for (const field of TRACKED_CONTACT_FIELDS) if (is[field] === left[field] && was[field] !== left[field]) patch[field] = was[field];
        if (Object.keys(patch).length && attempt(() => updateContact(live, id, patch as ContactPatch, { origin }))) changed++;
      }
    }
  }, origin);
  return changed;
}
