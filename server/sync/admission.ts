import * as Y from 'yjs';
import { changeProblem, describeProblem, TOP_LEVEL_TYPES, type DocKind } from '../../shared/doc-schema.ts';
import { CLOSE_SCHEMA_VIOLATION, Rejection } from './protocol.ts';

/** What a room asks before it applies a client's update: throw a Rejection to refuse it as a whole. */
export interface UpdateGuard {
  admit(update: Uint8Array, origin: unknown): void;
  destroy(): void;
}

const ADMITTING = Symbol('admission check');

/**
 * The "admit update" step: every client update is applied first to an admission copy of the room's doc, the records
 * its transaction touched are checked with the shared schema rules (shared/doc-schema.ts: changeProblem), and only
 * then may the room apply it to the real doc, broadcast and store it. A refused update reached only the copy, which
 * is rebuilt from the real doc. The copy follows every other write to the real doc (loads, migrations, server
 * writes), so it always holds the same state.
 *
 * Why a copy rather than decoding the update's structs against the doc: Yjs infers an item's parent and map key
 * from its neighbours, a map key's value is its rightmost item, and deletes arrive as ranges; applying the update is
 * the one exact way to know the resulting state. It costs a second apply per update and a second copy of the doc in
 * memory (README: Security and durability, measured).
 */
export class SchemaAdmission implements UpdateGuard {
  private shadow: Y.Doc;
  /** Origins (connections) whose updates passed here: their echo on the real doc is already in the copy. */
  private readonly admittedOrigins = new WeakSet<object>();

  constructor(
    private readonly kind: DocKind,
    private readonly doc: Y.Doc
  ) {
    this.shadow = this.copy();
    doc.on('update', this.follow);
  }

  admit(update: Uint8Array, origin: unknown): void {
    if (typeof origin === 'object' && origin !== null) this.admittedOrigins.add(origin);
    const pendingBefore = pendingOf(this.shadow);
    let refusal: string | null = null;
    try {
      this.shadow.transact((transaction) => {
        Y.applyUpdate(this.shadow, update, ADMITTING);
        // Structs the copy cannot place yet would be checked only when someone else's update completes them.
        if (pendingOf(this.shadow) !== pendingBefore) refusal = 'update depends on changes the server does not have';
        const problem = refusal ? null : changeProblem(this.shadow, this.kind, transaction.changed);
        if (problem) refusal = `update breaks the ${this.kind} schema: ${describeProblem(problem)}`;
      }, ADMITTING);
    } catch (error) {
      refusal = `update does not apply: ${(error as Error).message}`;
    }
    if (refusal) {
      this.rebuild();
      throw new Rejection(CLOSE_SCHEMA_VIOLATION, refusal);
    }
  }

  destroy(): void {
    this.doc.off('update', this.follow);
    this.shadow.destroy();
  }

  /** Writes that did not come through admit (load, migration, server writes) reach the copy here. */
  private follow = (update: Uint8Array, origin: unknown): void => {
    if (typeof origin === 'object' && origin !== null && this.admittedOrigins.has(origin)) return;
    Y.applyUpdate(this.shadow, update, origin);
  };

  private rebuild(): void {
    this.shadow.destroy();
    this.shadow = this.copy();
  }

  private copy(): Y.Doc {
    const shadow = new Y.Doc({ gc: this.doc.gc });
    // Typed top-level types, so the checks see a Y.Map where the schema has one.
    for (const name of TOP_LEVEL_TYPES[this.kind]) (name === 'stages' ? shadow.getArray(name) : shadow.getMap(name));
    Y.applyUpdate(shadow, Y.encodeStateAsUpdate(this.doc));
    return shadow;
  }
}

/** A fingerprint of what a doc holds but cannot integrate yet (structs and deletes waiting for missing items). */
function pendingOf(doc: Y.Doc): unknown {
  const { pendingStructs, pendingDs } = doc.store;
  if (!pendingStructs && !pendingDs) return null;
  return `${pendingStructs?.update.length ?? 0}:${pendingDs?.length ?? 0}`;
}
