import type { BoardStore } from './board-store.svelte.ts';

export interface DropTarget {
  stageId: string;
  /** Position in the target column, counted without the moving card. */
  index: number;
}

/**
 * Moving a card, by mouse (HTML5 drag and drop), keyboard (pick up, arrows, drop) or the "Move to stage" menu. Only
 * the drop writes to the doc, once; while a card is in flight only this local state changes.
 */
export class CardMover {
  movingId = $state<string | null>(null);
  mode = $state<'drag' | 'keyboard' | null>(null);
  target = $state<DropTarget | null>(null);
  announcement = $state('');

  constructor(private readonly store: BoardStore) {}

  isMoving(dealId: string): boolean {
    return this.movingId === dealId;
  }

  startDrag(dealId: string): void {
    this.movingId = dealId;
    this.mode = 'drag';
  }

  dragOver(stageId: string, index: number): void {
    if (this.target?.stageId !== stageId || this.target.index !== index) this.target = { stageId, index };
  }

  /** Drop the dragged card; `dealId` comes from the drag data when the drag started in another window. */
  dropAt(stageId: string, index: number, dealId = this.movingId): void {
    if (dealId && this.store.deal(dealId)) this.store.moveDeal(dealId, stageId, index);
    this.reset();
  }

  lift(dealId: string): void {
    const deal = this.store.deal(dealId);
    if (!deal) return;
    const column = this.columnWithout(deal.stageId, dealId);
    const index = (this.store.columns.get(deal.stageId) ?? []).findIndex((candidate) => candidate.id === dealId);
    this.movingId = dealId;
    this.mode = 'keyboard';
    this.target = { stageId: deal.stageId, index: Math.max(0, Math.min(index, column.length)) };
    this.announcement = `Picked up ${deal.title}. Use the arrow keys to move it, Space to drop, Escape to cancel.`;
  }

  /** Arrow keys while a card is lifted: left/right between columns, up/down within one. */
  shift(columns: number, rows: number): void {
    if (!this.target || !this.movingId) return;
    const stages = this.store.stages;
    const from = stages.findIndex((stage) => stage.id === this.target!.stageId);
    const stage = stages[Math.max(0, Math.min(stages.length - 1, from + columns))];
    const length = this.columnWithout(stage.id, this.movingId).length;
    const index = columns ? Math.min(this.target.index, length) : Math.max(0, Math.min(length, this.target.index + rows));
    this.target = { stageId: stage.id, index };
    this.announcement = `${stage.name}, position ${index + 1} of ${length + 1}.`;
  }

  /** Drop a keyboard-lifted card where the target is; returns the moved deal's id. */
  drop(): string | null {
    const dealId = this.movingId;
    const target = this.target;
    const deal = dealId ? this.store.deal(dealId) : undefined;
    // A colleague may have deleted the deal while it was lifted: then there is nothing to drop.
    if (dealId && target && deal) {
      this.store.moveDeal(dealId, target.stageId, target.index);
      const stage = this.store.stages.find((candidate) => candidate.id === target.stageId);
      this.announcement = `Dropped ${deal.title} in ${stage?.name ?? 'column'}, position ${target.index + 1}.`;
    }
    this.reset();
    return dealId;
  }

  /** The "Move to stage" menu (touch, or no drag at all): the deal goes to the top of that stage, in one write. */
  moveTo(dealId: string, stageId: string): void {
    const deal = this.store.deal(dealId);
    const stage = this.store.stages.find((candidate) => candidate.id === stageId);
    if (!deal || !stage) return;
    this.store.moveDeal(dealId, stageId, 0);
    this.announcement = `Moved ${deal.title} to ${stage.name}.`;
  }

  cancel(): void {
    if (this.mode === 'keyboard') this.announcement = 'Move cancelled.';
    this.reset();
  }

  private reset(): void {
    this.movingId = null;
    this.mode = null;
    this.target = null;
  }

  private columnWithout(stageId: string, dealId: string) {
    return (this.store.columns.get(stageId) ?? []).filter((deal) => deal.id !== dealId);
  }
}
