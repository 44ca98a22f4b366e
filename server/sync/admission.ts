import * as Y from 'yjs';
import { changeProblem, describeProblem, TOP_LEVEL_TYPES, type DocKind } from '../../shared/doc-schema.ts';
import { dropPending, pendingBytes } from './doc-limits.ts';
import { firstPass, KnownState, type DecodedUpdate } from './first-pass.ts';
import { CLOSE_SCHEMA_VIOLATION, Rejection } from './protocol.ts';

/** What a room asks before it applies a client's update: throw a Rejection to refuse it as a whole. */
export interface UpdateGuard {
  /** `decoded`: the update as Y.decodeUpdate gives it, when the caller decoded it already. */
  admit(update: Uint8Array, origin: unknown, decoded?: DecodedUpdate): void;
  destroy(): void;
}

const ADMITTING = Symbol('admission check');

/** How far (bytes of updates) the admission copy may fall behind before replaying them would cost more than a rebuild. */
const MIN_BEHIND_BYTES = 64 * 1024;

/**
 * The "admit update" step. First a pass over the update's decoded structs (first-pass.ts) refuses a bad value in a
 * known place, and settles the everyday updates whose whole effect it can know: field edits, moves, tags, notes,
 * deletions. Any other update (a new record, nested types, a deleted field, changes waiting for dependencies) is
 * applied first to an admission copy of the room's doc, the records its transaction touched are checked with the
 * shared schema rules (shared/doc-schema.ts: changeProblem), and only then may the room apply it to the real doc,
 * broadcast and store it.
 *
 * Why a copy for those rather than decoding them: Yjs infers an item's parent and map key from its neighbours, a map
 * key's value is its rightmost item, and deletes arrive as ranges; applying the update is the one exact way to know
 * the resulting state of anything the first pass cannot settle.
 *
 * The copy is kept lazily: built from the real doc when a check first needs it, it takes in the real doc's other
 * changes (settled updates, loads, server writes) only when the next check needs it, in one transaction. When the
 * changes it has not taken in outgrow what a rebuild costs, or a refused update reached it, it is dropped and built
 * again on demand. So a room whose members only edit never pays for a second apply or a second doc in memory.
 */
export class SchemaAdmission implements UpdateGuard {
  /** The admission copy, or null until a check needs it. */
  private shadow: Y.Doc | null = null;
  /** Size of the state the copy was built from: replaying more than about that costs more than a rebuild. */
  private shadowBytes = 0;
  /** Changes of the real doc the copy has not taken in yet, oldest first. */
  private behind: Uint8Array[] = [];
  private behindBytes = 0;
  /** The origin (connection) whose update was just admitted, and whether the copy holds it already. */
  private admittedOrigin: unknown = null;
  private admittedInCopy = false;
  /** Records of the real doc found valid, and its stage ids; forgotten at any change that did not pass here. */
  private known = new KnownState();
  /** How many updates each step decided, and how often the copy was built (tests, benchmarks). */
  readonly counts = { settledByFirstPass: 0, checkedOnCopy: 0, copiesBuilt: 0 };

  constructor(
    private readonly kind: DocKind,
    private readonly doc: Y.Doc
  ) {
    doc.on('update', this.follow);
  }

  admit(update: Uint8Array, origin: unknown, decoded: DecodedUpdate = Y.decodeUpdate(update)): void {
    this.admittedOrigin = origin;
    this.admittedInCopy = false;
    const pass = firstPass(this.doc, this.kind, decoded, this.known);
    if (pass.problem) throw new Rejection(CLOSE_SCHEMA_VIOLATION, `update breaks the ${this.kind} schema: ${describeProblem(pass.problem)}`);
    if (pass.settled) {
      this.counts.settledByFirstPass++;
      return;
    }
    this.counts.checkedOnCopy++;
    const shadow = this.upToDateCopy();
    let refusal: string | null = null;
    try {
      shadow.transact((transaction) => {
        Y.applyUpdate(shadow, update, ADMITTING);
        // Structs the copy cannot place yet wait in both docs (bounded by MAX_PENDING_BYTES, see doc-limits.ts): a client
        // resending after a crash may send a new edit before the older ones it depends on. They are checked in the
        // transaction that completes them, whose `changed` includes them.
        const problem = changeProblem(shadow, this.kind, transaction.changed);
        if (problem) refusal = `update breaks the ${this.kind} schema: ${describeProblem(problem)}`;
      }, ADMITTING);
    } catch (error) {
      refusal = `update does not apply: ${(error as Error).message}`;
    }
    if (refusal) {
      this.dropCopy();
      throw new Rejection(CLOSE_SCHEMA_VIOLATION, refusal);
    }
    this.admittedInCopy = true;
  }

  destroy(): void {
    this.doc.off('update', this.follow);
    this.dropCopy();
  }

  /** Every change of the real doc: the copy takes it in later, unless it holds it already (checked on it). */
  private follow = (update: Uint8Array, origin: unknown): void => {
    if (origin !== null && origin === this.admittedOrigin) {
      const inCopy = this.admittedInCopy;
      this.admittedOrigin = null;
      this.admittedInCopy = false;
      if (inCopy) return;
    } else {
      // Not a client's admitted update (a load, a migration, a server write): it may change any record.
      this.known = new KnownState();
    }
    if (!this.shadow) return;
    this.behind.push(update);
    this.behindBytes += update.length;
    if (this.behindBytes > Math.max(MIN_BEHIND_BYTES, this.shadowBytes)) this.dropCopy();
  };

  /** The copy holding the real doc's state: built, or brought up to date in one transaction. */
  private upToDateCopy(): Y.Doc {
    if (!this.shadow) {
      const shadow = new Y.Doc({ gc: this.doc.gc });
      // Typed top-level types, so the checks see a Y.Map where the schema has one.
      for (const name of TOP_LEVEL_TYPES[this.kind]) (name === 'stages' ? shadow.getArray(name) : shadow.getMap(name));
      // The v2 encoding copies a doc with a long history faster; it includes what waits for dependencies.
      const state = Y.encodeStateAsUpdateV2(this.doc);
      Y.applyUpdateV2(shadow, state);
      this.shadow = shadow;
      this.shadowBytes = state.length;
      this.counts.copiesBuilt++;
      return shadow;
    }
    const shadow = this.shadow;
    if (this.behind.length) {
      const behind = this.behind;
      shadow.transact(() => {
        for (const update of behind) Y.applyUpdate(shadow, update, ADMITTING);
      }, ADMITTING);
      this.behind = [];
      this.behindBytes = 0;
    }
    // What waited for dependencies in the real doc and was dropped there (doc-limits.ts) must not linger in the copy.
    if (pendingBytes(this.doc) === 0) dropPending(shadow);
    return shadow;
  }

  private dropCopy(): void {
    this.shadow?.destroy();
    this.shadow = null;
    this.behind = [];
    this.behindBytes = 0;
  }
}
