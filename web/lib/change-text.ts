import type { ChangeEntry, ChangeKind } from '$shared/history.ts';
import { formatMoney } from '$shared/pipeline-stats.ts';

/** How "since the last review" words each change; the server's data is read defensively, it may be older or odd. */

/** The order a review meeting reads them in: outcomes first, then movement, then the rest. */
export const KIND_ORDER: readonly ChangeKind[] = ['won', 'lost', 'moved', 'added', 'edited', 'notes_edited', 'removed', 'restored', 'stage_changed'];

export const KIND_HEADINGS: Record<ChangeKind, string> = {
  won: 'Won',
  lost: 'Lost',
  moved: 'Moved',
  added: 'Added',
  edited: 'Changed',
  removed: 'Removed',
  restored: 'Restored',
  notes_edited: 'Notes',
  stage_changed: 'Stages'
};

export interface ChangeNames {
  /** The currency the board shows sums in. */
  currency: string;
  memberNames: ReadonlyMap<string, string>;
  contactNames?: ReadonlyMap<string, string>;
}

const FIELD_NAMES: Record<string, string> = {
  value: 'value',
  ownerId: 'owner',
  title: 'title',
  currency: 'currency',
  expectedCloseDate: 'expected close',
  contactId: 'contact',
  tags: 'tags',
  stageId: 'stage'
};

export function fieldName(field: string | undefined): string {
  return field ? (FIELD_NAMES[field] ?? field) : 'a field';
}

/** One side of an edit, in words: an amount as the board shows it, a person's name, a date, a tag list. */
export function formatFieldValue(field: string | undefined, value: unknown, names: ChangeNames): string {
  if (value === null || value === undefined || value === '') {
    return field === 'ownerId' ? 'unassigned' : 'none';
  }
  if (field === 'value' && typeof value === 'number' && Number.isFinite(value)) return formatMoney(value, names.currency);
  if (field === 'ownerId' && typeof value === 'string') return names.memberNames.get(value) ?? 'a former member';
  if (field === 'contactId' && typeof value === 'string') return names.contactNames?.get(value) ?? 'another contact';
  if (Array.isArray(value)) return value.length ? value.map(String).join(', ') : 'none';
  if (typeof value === 'object') return JSON.stringify(value).slice(0, 80);
  return String(value).slice(0, 120);
}

/** What happened, after the deal's title: "Qualified → Proposal", "value $1,000 → $2,500", "added in Lead in". */
export function describeChange(change: ChangeEntry, names: ChangeNames): string {
  const from = change.fromStage?.name;
  const to = change.toStage?.name;
  const path = from && to ? `${from} → ${to}` : to ? `to ${to}` : from ? `from ${from}` : '';
  switch (change.kind) {
    case 'added':
      return to ? `added in ${to}` : 'added';
    case 'moved':
      return path ? `moved ${path}` : 'moved';
    case 'won':
      return path ? `won (${path})` : 'won';
    case 'lost':
      return path ? `lost (${path})` : 'lost';
    case 'edited':
      return `${fieldName(change.field)} ${formatFieldValue(change.field, change.before, names)} → ${formatFieldValue(change.field, change.after, names)}`;
    case 'removed':
      return from ? `removed from ${from}` : 'removed';
    case 'restored':
      return to ? `restored to ${to}` : 'restored';
    case 'notes_edited':
      return describeNotes(change.after);
    case 'stage_changed':
      return describeStage(change);
    default:
      return 'changed';
  }
}

const count = (value: unknown) => Math.max(0, Math.trunc(Number(value) || 0));
const characters = (n: number) => `${n.toLocaleString('en-US')} ${n === 1 ? 'character' : 'characters'}`;

/** "notes edited: 120 characters added, 8 removed" (one author's typing in one hour). */
function describeNotes(after: unknown): string {
  const edit = (after && typeof after === 'object' ? after : {}) as { added?: unknown; removed?: unknown };
  const added = count(edit.added);
  const removed = count(edit.removed);
  const parts = [added ? `${characters(added)} added` : '', removed ? `${added ? removed.toLocaleString('en-US') : characters(removed)} removed` : ''].filter(Boolean);
  return parts.length ? `notes edited: ${parts.join(', ')}` : 'notes edited';
}

const percent = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? `${Math.round(value * 100) / 100}%` : 'none');

/** A stage's change: "renamed Qualified → Discovery", "win chance 20% → 30%", "moved from place 2 to 4". */
function describeStage(change: ChangeEntry): string {
  const text = (value: unknown) => (typeof value === 'string' && value ? value.slice(0, 80) : 'none');
  switch (change.field) {
    case 'name':
      return `renamed ${text(change.before)} → ${text(change.after)}`;
    case 'probability':
      return `win chance ${percent(change.before)} → ${percent(change.after)}`;
    case 'outcome':
      return `outcome ${text(change.before)} → ${text(change.after)}`;
    case 'position':
      return `moved from place ${count(change.before)} to ${count(change.after)}`;
    case 'stage':
      return change.before ? 'stage removed' : 'stage added';
    default:
      return 'stage changed';
  }
}

/** The name a change is listed under: the deal's title, or "Stage Qualified" for a stage's change. */
export function changeSubject(change: ChangeEntry): string {
  if (change.kind === 'stage_changed') return `Stage ${change.stage?.name || change.title || ''}`.trim();
  return change.title || 'Untitled deal';
}

/** Changes grouped by kind, in KIND_ORDER, each group newest first as the server sent them; unknown kinds dropped. */
export function groupChanges(changes: readonly ChangeEntry[]): Array<{ kind: ChangeKind; changes: ChangeEntry[] }> {
  return KIND_ORDER.map((kind) => ({ kind, changes: changes.filter((change) => change?.kind === kind) })).filter((group) => group.changes.length);
}

/** A difference with its sign in words and symbols, so it never depends on colour: "+2", "−$1,000", "no change". */
export function signedDelta(before: number, now: number, format: (value: number) => string = String): string {
  const difference = (Number(now) || 0) - (Number(before) || 0);
  if (difference === 0) return 'no change';
  return `${difference > 0 ? '+' : '−'}${format(Math.abs(difference))}`;
}
