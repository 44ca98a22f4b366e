import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import {
  addDeal,
  dealNotes,
  deleteDeal,
  moveDeal,
  readMeta,
  updateDeal,
  type Deal,
  type NewDeal,
  type Stage
} from '$shared/board-doc.ts';
import { BoardUndo } from '$shared/board-undo.ts';
import { addContact, deleteContact, inspectContacts, observeContacts, type Contact } from '$shared/contacts-doc.ts';
import { canRepairDeal, repairContact, repairDeal } from '$shared/doc-repair.ts';
import type { SchemaProblem } from '$shared/doc-schema.ts';
import { BoardReadModel } from './board-read-model.ts';
import { newId } from '$shared/ids.ts';
import type { DealPatch } from '$shared/deal-fields.ts';
import { combinedStatus, type ConnectionStatus } from './connection-status.ts';
import { keepColorDistinct, readPeers, type Peer, type PresenceState, type PresenceUser } from './presence.ts';

/** What the store needs from a network link (a y-websocket provider), so tests can run it on a plain doc. */
export interface DocLink {
  /** The doc's awareness (presence) as the provider shares it. */
  readonly awareness?: Awareness;
  /** Calls `listener` with the current status at once and again after every change. */
  onStatus(listener: (status: ConnectionStatus) => void): void;
  onSynced(listener: (synced: boolean) => void): void;
  /** The copy kept on this device (IndexedDB) has been loaded into the doc. */
  onLocalLoaded?(listener: () => void): void;
  /** How many changes made here the server has not confirmed yet; called again whenever it changes. */
  onPending?(listener: (count: number) => void): void;
  /** Try to connect now (e.g. after the user's access was restored). */
  reconnect?(): void;
  destroy(): void;
}

export interface BoardStoreOptions {
  /** Changes closer together than this (ms) undo as one step, so a burst of field edits is one undo. */
  captureTimeout?: number;
  /** The clock that capture window is measured by. */
  now?: () => number;
}

/**
 * The board as runes: snapshots of the board and contacts docs, kept up to date after every local or remote change,
 * and writes that go through the shared accessors. Components read this; none of them touches a Y type. The board
 * is followed change by change (BoardReadModel): a change to one deal re-reads that deal and replaces only the
 * columns it left or entered, so a 10,000-deal board stays quick to update.
 */
export class BoardStore {
  name = $state('');
  stages = $state.raw<Stage[]>([]);
  columns = $state.raw<Map<string, Deal[]>>(new Map());
  contacts = $state.raw<Map<string, Contact>>(new Map());
  status = $state<ConnectionStatus>('connecting');
  synced = $state(false);
  /** Changes made here that the server has not confirmed yet, over both docs. */
  pending = $state(0);
  /** A viewer's role: the board is read-only for them (the server refuses their changes anyway). */
  roleReadOnly = $state(false);
  /** Why the server opened this board or the contacts read-only for everyone until an admin repairs them, or null. */
  degraded = $state<string | null>(null);
  /** Records (stages, deals, contacts) that break the doc schema: not shown, listed for an admin to repair or remove. */
  problems = $state.raw<SchemaProblem[]>([]);
  /** The currency most deals use: column sums are shown in it (see summarizeColumn). */
  mainCurrency = $state('USD');
  canUndo = $state(false);
  canRedo = $state(false);
  /** Colleagues on this board right now (the board doc's awareness), without this tab. */
  peers = $state.raw<Peer[]>([]);
  /** The board doc's awareness: the provider's, or a local one when the store runs without a network. */
  readonly awareness: Awareness;
  /** The workspace-wide awareness (the contacts doc's): presenters are found here from any pipeline. */
  readonly workspaceAwareness: Awareness;
  workspacePeers = $state.raw<Peer[]>([]);
  /** Who this tab is, once the page knows (setPresence({ user })). */
  self = $state.raw<PresenceUser | null>(null);
  /** The deal this user spotlights for everyone on the board. */
  spotlightDealId = $state<string | null>(null);
  /** Local origin of every write (undos included), so listeners can tell this tab's changes from a colleague's. */
  readonly origin = Symbol('local user');
  /** This user's own changes, undone and redone as forward writes: see shared/board-undo.ts for why. */
  private readonly history: BoardUndo;
  private readonly cleanups: Array<() => void> = [];

  /** Read-only: a viewer's board, or a doc that needs an admin's repair. */
  get readOnly(): boolean {
    return this.roleReadOnly || this.degraded !== null;
  }

  set readOnly(value: boolean) {
    this.roleReadOnly = value;
  }

  constructor(
    readonly board: Y.Doc,
    readonly contactsDoc: Y.Doc,
    private readonly links: DocLink[] = [],
    options: BoardStoreOptions = {}
  ) {
    this.history = new BoardUndo(board, { origin: this.origin, captureTimeout: options.captureTimeout, now: options.now });
    this.cleanups.push(() => {
      this.history.close();
      this.refreshHistory();
    });
    const shared = links[0]?.awareness;
    this.awareness = shared ?? new Awareness(board);
    const refreshPeers = () => (this.peers = readPeers(this.awareness));
    this.awareness.on('change', refreshPeers);
    this.cleanups.push(() => this.awareness.off('change', refreshPeers));
    if (!shared) this.cleanups.push(() => this.awareness.destroy());
    const workspaceShared = links[1]?.awareness;
    this.workspaceAwareness = workspaceShared ?? new Awareness(contactsDoc);
    const refreshWorkspacePeers = () => (this.workspacePeers = readPeers(this.workspaceAwareness));
    this.workspaceAwareness.on('change', refreshWorkspacePeers);
    this.cleanups.push(() => this.workspaceAwareness.off('change', refreshWorkspacePeers));
    if (!workspaceShared) this.cleanups.push(() => this.workspaceAwareness.destroy());
    // Everyone on the board gets a color nobody else in it has.
    this.cleanups.push(keepColorDistinct(this.awareness, (fields) => this.setPresence(fields)));
    // The server publishes a degraded doc's reason as the room's own awareness state ({degraded: {reason}}).
    const refreshDegraded = () => (this.degraded = degradedReason(this.awareness) ?? degradedReason(this.workspaceAwareness));
    for (const awareness of [this.awareness, this.workspaceAwareness]) {
      awareness.on('change', refreshDegraded);
      this.cleanups.push(() => awareness.off('change', refreshDegraded));
    }
    this.model = new BoardReadModel(board);
    this.refreshName();
    this.publishBoard();
    this.refreshContacts();
    this.cleanups.push(this.followBoard());
    this.cleanups.push(observeContacts(contactsDoc, () => this.refreshContacts()));
    if (!links.length) {
      this.status = 'connected';
      this.synced = true;
    }
    const statuses = links.map((): ConnectionStatus => 'connecting');
    const syncedFlags = links.map(() => false);
    const pendingCounts = links.map(() => 0);
    links.forEach((link, index) => {
      link.onStatus((status) => {
        statuses[index] = status;
        this.status = combinedStatus(statuses);
      });
      link.onPending?.((count) => {
        pendingCounts[index] = count;
        this.pending = pendingCounts.reduce((sum, value) => sum + value, 0);
      });
      link.onSynced((synced) => {
        syncedFlags[index] = synced;
        this.synced = syncedFlags.every(Boolean);
      });
      this.cleanups.push(() => link.destroy());
    });
  }

  deal(id: string): Deal | undefined {
    void this.columns; // a reactive read: callers re-run when the board changes
    return this.model.deal(id);
  }

  /** How many deal records the store has read and checked since it opened (one per changed deal, not per board). */
  get dealReads(): number {
    return this.model.reads;
  }

  /**
   * A deal's shared notes, for an editor binding (y-codemirror.next) to edit live; null while the doc has none yet.
   * Not a rune: the Y.Text is the state, and the binding follows it.
   */
  dealNotes(dealId: string): Y.Text | null {
    return dealNotes(this.board, dealId);
  }

  moveDeal(dealId: string, toStageId: string, index: number): void {
    // The store's column is the doc's, kept change by change: the write need not re-read the whole board.
    const column = this.model.columns.get(toStageId);
    this.remember(dealId, () => moveDeal(this.board, dealId, toStageId, index, { origin: this.origin, column }));
  }

  addDeal(stageId: string, input: NewDeal): string {
    const id = newId();
    const column = this.model.columns.get(stageId);
    return this.remember(id, () => addDeal(this.board, stageId, input, { origin: this.origin, id, column }));
  }

  updateDeal(dealId: string, patch: DealPatch): void {
    this.remember(dealId, () => updateDeal(this.board, dealId, patch, { origin: this.origin }));
  }

  deleteDeal(dealId: string): void {
    this.remember(dealId, () => deleteDeal(this.board, dealId, { origin: this.origin }));
  }

  /** Can `path` (a listed problem's record, e.g. `deals.d1`) be repaired in place here, or only removed? */
  canRepair(path: string): boolean {
    const [kind, key] = splitPath(path);
    if (kind === 'deals') return canRepairDeal(this.board, key) && !this.degraded;
    return kind === 'contacts' && this.contactsDoc.getMap('contacts').get(key) instanceof Y.Map;
  }

  /** Repair a listed record in place: each field that breaks its rule gets its obvious default. */
  repairRecord(path: string): void {
    const [kind, key] = splitPath(path);
    if (kind === 'deals') repairDeal(this.board, key, { origin: this.origin });
    else if (kind === 'contacts') repairContact(this.contactsDoc, key, { origin: this.origin });
  }

  /** Remove a listed record (stages cannot be removed here: only the server's whole-board repair can). */
  removeRecord(path: string): void {
    const [kind, key] = splitPath(path);
    if (kind === 'deals') deleteDeal(this.board, key, { origin: this.origin });
    else if (kind === 'contacts') deleteContact(this.contactsDoc, key, { origin: this.origin });
  }

  /**
   * Take back this user's last change to the board, where it still shows: whatever a colleague has changed since
   * (moved the deal again, edited that field) stays as they chose, and every replica ends the same.
   */
  undo(): void {
    this.history.undo();
    this.refreshHistory();
  }

  redo(): void {
    this.history.redo();
    this.refreshHistory();
  }

  addContact(name: string): string {
    return addContact(this.contactsDoc, { name }, { origin: this.origin });
  }

  /** Publish (part of) this tab's presence to everyone on the board. */
  setPresence(fields: Partial<PresenceState>): void {
    const current = (this.awareness.getLocalState() ?? {}) as Partial<PresenceState>;
    this.awareness.setLocalState({ ...current, ...fields });
    if (fields.user) {
      this.self = fields.user;
      this.setWorkspacePresence({ user: fields.user });
    }
  }

  /** Publish (part of) this tab's presence workspace-wide: who it is and what it presents. */
  setWorkspacePresence(fields: Partial<PresenceState>): void {
    const current = (this.workspaceAwareness.getLocalState() ?? {}) as Partial<PresenceState>;
    this.workspaceAwareness.setLocalState({ ...current, ...fields });
  }

  /** Put a deal in the spotlight for everyone, or take it out (same deal again, or null). */
  toggleSpotlight(dealId: string | null): void {
    this.spotlightDealId = dealId === this.spotlightDealId ? null : dealId;
    this.setPresence({ spotlightDealId: this.spotlightDealId });
  }

  /** Try every link again now, e.g. after access came back. */
  reconnect(): void {
    for (const link of this.links) link.reconnect?.();
  }

  destroy(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  private remember<T>(dealId: string, write: () => T): T {
    try {
      return this.history.track(dealId, write);
    } finally {
      this.refreshHistory();
    }
  }

  private refreshHistory(): void {
    this.canUndo = this.history.canUndo;
    this.canRedo = this.history.canRedo;
  }

  private boardProblems: SchemaProblem[] = [];
  private contactProblems: SchemaProblem[] = [];

  private readonly model: BoardReadModel;

  /** Follow the board doc: each transaction's events name what changed, and only that is read again. */
  private followBoard(): () => void {
    const meta = this.board.getMap<unknown>('meta');
    const stages = this.board.getArray<unknown>('stages');
    const deals = this.board.getMap<unknown>('deals');
    const onMeta = () => this.refreshName();
    const onStages = () => {
      this.model.applyStageEvents();
      this.publishBoard();
    };
    const onDeals = (events: Array<Y.YEvent<any>>) => {
      if (this.model.applyDealEvents(events)) this.publishBoard();
    };
    meta.observe(onMeta);
    stages.observeDeep(onStages);
    deals.observeDeep(onDeals);
    return () => {
      meta.unobserve(onMeta);
      stages.unobserveDeep(onStages);
      deals.unobserveDeep(onDeals);
    };
  }

  private refreshName(): void {
    const name = readMeta(this.board).name;
    this.name = typeof name === 'string' ? name : '';
  }

  /** Only valid stages and deals are shown; every other entry is counted and listed (see problems). */
  private publishBoard(): void {
    if (this.stages !== this.model.stages) this.stages = this.model.stages;
    if (this.columns !== this.model.columns) this.columns = this.model.columns;
    this.mainCurrency = this.model.mainCurrency;
    if (this.boardProblems !== this.model.problems) {
      this.boardProblems = this.model.problems;
      this.problems = [...this.boardProblems, ...this.contactProblems];
    }
  }

  private refreshContacts(): void {
    const view = inspectContacts(this.contactsDoc);
    this.contacts = new Map(view.contacts.map((contact) => [contact.id, contact]));
    this.contactProblems = view.problems;
    this.problems = [...this.boardProblems, ...this.contactProblems];
  }
}

/** `deals.d1.value` → ['deals', 'd1']: the top-level type and the record a problem is about. */
function splitPath(path: string): [string, string] {
  const [kind, ...rest] = path.split('.');
  return [kind, rest[0] ?? ''];
}

function degradedReason(awareness: Awareness): string | null {
  for (const state of awareness.getStates().values()) {
    const degraded = (state as { degraded?: { reason?: unknown } }).degraded;
    if (degraded && typeof degraded.reason === 'string') return degraded.reason;
  }
  return null;
}
