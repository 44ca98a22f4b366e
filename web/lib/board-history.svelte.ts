import * as Y from 'yjs';
import type { HistoryMoments } from '$shared/history.ts';
import { ApiError } from './api.ts';
import { BoardStore } from './board-store.svelte.ts';
import { historyApi } from './history-api.ts';

/**
 * The board as it was at a past moment, next to the live one: the timeline of checkpoints, and the moment on view as
 * a read-only BoardStore over a Y.Doc of its own. That doc has no socket and no IndexedDB copy, and nothing writes to
 * it, so looking at history never changes the live board.
 */
export class BoardHistory {
  timeline = $state.raw<HistoryMoments | null>(null);
  /** The moment shown instead of the live board; null while live. */
  viewingAt = $state<number | null>(null);
  /** The board at `viewingAt`, read-only. */
  store = $state.raw<BoardStore | null>(null);
  loading = $state(false);
  problem = $state('');
  /** The moments the slider stops at, oldest first: how far back history reaches, then every checkpoint. */
  readonly stops = $derived(momentsOf(this.timeline));
  /** Only the latest request may show: a slider dragged fast asks for many moments. */
  private requested = 0;

  constructor(
    readonly pipelineId: string,
    /** The live contacts doc, copied into the past board so its cards still name their contacts. */
    private readonly liveContacts: () => Y.Doc | null = () => null
  ) {}

  get viewing(): boolean {
    return this.viewingAt !== null;
  }

  async loadTimeline(): Promise<void> {
    this.problem = '';
    try {
      this.timeline = await historyApi.timeline(this.pipelineId);
    } catch (failure) {
      this.problem = reasonOf(failure, 'Could not load the board’s history.');
    }
  }

  /** Fetch the board as of `at` and show it read-only. */
  async view(at: number): Promise<void> {
    const request = ++this.requested;
    this.loading = true;
    this.problem = '';
    try {
      const state = await historyApi.stateAt(this.pipelineId, at);
      if (request !== this.requested) return;
      const past = pastBoard(state.update, this.liveContacts());
      if (this.store) dispose(this.store);
      this.store = past;
      this.viewingAt = state.at;
    } catch (failure) {
      if (request === this.requested) this.problem = reasonOf(failure, 'Could not load the board as it was then.');
    } finally {
      if (request === this.requested) this.loading = false;
    }
  }

  backToLive(): void {
    this.requested++;
    this.loading = false;
    if (this.store) dispose(this.store);
    this.store = null;
    this.viewingAt = null;
  }

  destroy(): void {
    this.backToLive();
  }
}

/** A read-only store over a fresh doc holding `update`; a malformed update is refused with a clear reason. */
function pastBoard(update: Uint8Array, liveContacts: Y.Doc | null): BoardStore {
  const board = new Y.Doc();
  try {
    Y.applyUpdate(board, update);
  } catch {
    board.destroy();
    throw new ApiError(0, 'The server sent a board state this page cannot read.');
  }
  const contacts = new Y.Doc();
  if (liveContacts) Y.applyUpdate(contacts, Y.encodeStateAsUpdate(liveContacts));
  const store = new BoardStore(board, contacts);
  store.readOnly = true;
  return store;
}

function dispose(store: BoardStore): void {
  store.destroy();
  store.board.destroy();
  store.contactsDoc.destroy();
}

function momentsOf(timeline: HistoryMoments | null): number[] {
  if (!timeline) return [];
  const moments = new Set<number>();
  if (typeof timeline.oldest === 'number' && Number.isFinite(timeline.oldest)) moments.add(timeline.oldest);
  for (const checkpoint of Array.isArray(timeline.checkpoints) ? timeline.checkpoints : []) {
    if (typeof checkpoint?.at === 'number' && Number.isFinite(checkpoint.at)) moments.add(checkpoint.at);
  }
  return [...moments].sort((a, b) => a - b);
}

const reasonOf = (failure: unknown, fallback: string) => (failure instanceof ApiError ? failure.reason : fallback);
