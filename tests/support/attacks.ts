import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';

/**
 * Updates an attacker can build, for the security tests. Each is valid Yjs and small on the wire; what makes it
 * hurt is the structure it asks the server to hold.
 */

/**
 * An update with no structs and one delete range of length 1 at each of `clocks` of `client`: deleting every other
 * character of a long string this way splits its one item into as many items as characters. Written with Yjs' own
 * update encoder (deleting through Y.Text takes quadratic time for this many ranges).
 */
export function deleteRanges(client: number, clocks: readonly number[]): Uint8Array {
  const encoder = new Y.UpdateEncoderV1();
  encoding.writeVarUint(encoder.restEncoder, 0); // no structs
  encoding.writeVarUint(encoder.restEncoder, 1); // delete ranges of one client
  encoder.resetDsCurVal();
  encoding.writeVarUint(encoder.restEncoder, client);
  encoding.writeVarUint(encoder.restEncoder, clocks.length);
  for (const clock of clocks) {
    encoder.writeDsClock(clock);
    encoder.writeDsLen(1);
  }
  return encoder.toUint8Array();
}

/** Every other clock from `from` to `to` (exclusive): the ranges that split a string into single characters. */
export function everyOther(from: number, to: number): number[] {
  const clocks: number[] = [];
  for (let clock = from; clock < to; clock += 2) clocks.push(clock);
  return clocks;
}

/**
 * An update whose dependency never arrives: a copy of `base` makes a small change that is withheld, then inserts
 * `text` right after it; only the second update is returned, so its left origin is missing wherever it is sent.
 */
export function orphanUpdate(base: Y.Doc, text: string, into = (doc: Y.Doc) => doc.getText('orphans')): Uint8Array {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(base));
  into(doc).insert(0, 'withheld');
  const before = Y.encodeStateVector(doc);
  into(doc).insert(8, text);
  return Y.encodeStateAsUpdate(doc, before);
}
