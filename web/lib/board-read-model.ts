import * as Y from 'yjs';
import { inspectDeal, type Deal, type Stage } from '$shared/board-doc.ts';
import { inspectStages, stageIdsOf, type SchemaProblem } from '$shared/doc-schema.ts';
import { compareRanked } from '$shared/ranking.ts';

/** A deal record as last read: the deal, or why the schema refuses it (then it is listed, not shown). */
type RecordView = { deal: Deal } | { problem: SchemaProblem };

/**
 * A transaction touching more than this share of the deals is read again whole: one sort beats thousands of
 * sorted inserts (a first sync, a restore of the whole board).
 */
const REBUILD_SHARE = 0.2;

/**
 * The board's read model, kept up to date change by change: a change to one deal re-reads and re-checks that deal
 * only (the schema check runs per record and its result is kept with the record), and only the columns it left or
 * entered get new arrays. Everything else keeps its identity, so a column or card that did not change is not
 * rendered again. Plain TypeScript: BoardStore turns it into runes.
 */
export class BoardReadModel {
  stages: Stage[] = [];
  /** Every stage's valid deals in board order (rank, then id). A column's array is replaced when it changes, never mutated. */
  columns = new Map<string, Deal[]>();
  /** How many deal records have been read and checked so far (tests count them: one change, one read). */
  reads = 0;
  private stageIds = new Set<string>();
  private stageProblems: SchemaProblem[] = [];
  private readonly records = new Map<string, RecordView>();
  private readonly currencies = new Map<string, number>();
  private problemList: SchemaProblem[] | null = null;

  constructor(private readonly doc: Y.Doc) {
    this.rebuild();
  }

  private get deals(): Y.Map<unknown> {
    return this.doc.getMap<unknown>('deals');
  }

  deal(id: string): Deal | undefined {
    const record = this.records.get(id);
    return record && 'deal' in record ? record.deal : undefined;
  }

  /** Stages and deals that break the schema, in the order a full read would list them. */
  get problems(): SchemaProblem[] {
    if (!this.problemList) {
      this.problemList = [...this.stageProblems];
      for (const record of this.records.values()) if ('problem' in record) this.problemList.push(record.problem);
    }
    return this.problemList;
  }

  /** The currency most deals use (USD on a board without deals). */
  get mainCurrency(): string {
    let most = 'USD';
    for (const [currency, count] of this.currencies) if (count > (this.currencies.get(most) ?? 0)) most = currency;
    return most;
  }

  /** Read the whole board again (at start, and when the set of stages changed, as every deal's check depends on it). */
  rebuild(): void {
    const stages = inspectStages(this.doc);
    this.stageIds = stageIdsOf(stages.valid);
    this.stageProblems = stages.problems;
    this.stages = stages.valid.map(readStage);
    this.records.clear();
    this.currencies.clear();
    for (const [key, value] of this.deals.entries()) this.records.set(key, this.read(key, value));
    this.columns = sortedColumns(this.stages, this.records.values());
    this.problemList = null;
  }

  /**
   * Follow one transaction's deep events on the deals map: the ids of the deals they touched are read again.
   * Returns whether anything a reader sees changed.
   */
  applyDealEvents(events: ReadonlyArray<Y.YEvent<any>>): boolean {
    const touched = new Set<string>();
    for (const event of events) {
      // Typing in a deal's notes changes nothing the board shows.
      if (event.target instanceof Y.Text) continue;
      if (event.target === this.deals) for (const key of event.changes.keys.keys()) touched.add(key);
      else {
        const id = event.path[0];
        if (typeof id === 'string') touched.add(id);
      }
    }
    if (!touched.size) return false;
    if (touched.size > Math.max(50, this.records.size * REBUILD_SHARE)) {
      this.rebuild();
      return true;
    }
    this.update(touched);
    return true;
  }

  /** The stages array changed: a rename re-reads the stages; a new set of stage ids re-reads everything. */
  applyStageEvents(): void {
    const stages = inspectStages(this.doc);
    const ids = stageIdsOf(stages.valid);
    if (ids.size !== this.stageIds.size || [...ids].some((id) => !this.stageIds.has(id))) return this.rebuild();
    this.stageProblems = stages.problems;
    this.stages = stages.valid.map(readStage);
    this.problemList = null;
  }

  private read(key: string, value: unknown): RecordView {
    this.reads++;
    const record = inspectDeal(value, key, this.stageIds);
    if ('deal' in record) this.countCurrency(record.deal.currency, 1);
    return record;
  }

  private countCurrency(currency: string, by: number): void {
    const count = (this.currencies.get(currency) ?? 0) + by;
    if (count > 0) this.currencies.set(currency, count);
    else this.currencies.delete(currency);
  }

  private update(touched: Set<string>): void {
    /** Per column: deals that leave it (their old version) and deals that enter it (their new one). */
    const edits = new Map<string, { out: Deal[]; in: Deal[] }>();
    const edit = (stageId: string) => {
      let entry = edits.get(stageId);
      if (!entry) edits.set(stageId, (entry = { out: [], in: [] }));
      return entry;
    };
    for (const key of touched) {
      const before = this.records.get(key);
      if (before && 'deal' in before) {
        edit(before.deal.stageId).out.push(before.deal);
        this.countCurrency(before.deal.currency, -1);
      }
      if (before && 'problem' in before) this.problemList = null;
      const value = this.deals.get(key);
      if (value === undefined) {
        this.records.delete(key);
        continue;
      }
      const after = this.read(key, value);
      this.records.set(key, after);
      if ('deal' in after) edit(after.deal.stageId).in.push(after.deal);
      else this.problemList = null;
    }
    if (!edits.size) return;
    const columns = new Map(this.columns);
    for (const [stageId, { out, in: entering }] of edits) {
      const current = columns.get(stageId);
      if (current) columns.set(stageId, editColumn(current, out, entering));
    }
    this.columns = columns;
  }
}

/** A sorted column with `out` taken away and `entering` put in place, as a new array (binary search, no full sort). */
export function editColumn(column: readonly Deal[], out: readonly Deal[], entering: readonly Deal[]): Deal[] {
  const next = column.slice();
  for (const deal of out) {
    const at = lowerBound(next, deal);
    if (next[at]?.id === deal.id) next.splice(at, 1);
    else {
      // Not where its rank says (should not happen): find it by id rather than leave a stale copy.
      const index = next.findIndex((candidate) => candidate.id === deal.id);
      if (index >= 0) next.splice(index, 1);
    }
  }
  for (const deal of entering) next.splice(lowerBound(next, deal), 0, deal);
  return next;
}

/** The first index whose deal sorts at or after `deal`. */
function lowerBound(column: readonly Deal[], deal: Deal): number {
  let low = 0;
  let high = column.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareRanked(column[middle], deal) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

function readStage(stage: Y.Map<unknown>): Stage {
  return {
    id: stage.get('id') as string,
    name: stage.get('name') as string,
    probability: stage.get('probability') as number,
    outcome: stage.get('outcome') as Stage['outcome']
  };
}

function sortedColumns(stages: readonly Stage[], records: Iterable<RecordView>): Map<string, Deal[]> {
  const columns = new Map<string, Deal[]>(stages.map((stage) => [stage.id, []]));
  for (const record of records) if ('deal' in record) columns.get(record.deal.stageId)?.push(record.deal);
  for (const column of columns.values()) column.sort(compareRanked);
  return columns;
}
