import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { encodeDocUpdate, MESSAGE_SYNC } from './protocol.ts';
import { SendBound } from './send-bound.ts';

/** A fake socket: what was queued, and a flush that runs the write callbacks. */
function socket() {
  let buffered = 0;
  const written: Array<() => void> = [];
  return {
    get buffered() {
      return buffered;
    },
    send: (message: Uint8Array, done?: () => void) => {
      buffered += message.length;
      if (done) written.push(done);
    },
    flush: () => {
      buffered = 0;
      written.splice(0).forEach((done) => done());
    }
  };
}

function syncStep2(bytes: number): Uint8Array {
  const doc = new Y.Doc();
  doc.getText('notes').insert(0, 'x'.repeat(bytes));
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_SYNC);
  syncProtocol.writeSyncStep2(encoder, doc);
  return encoding.toUint8Array(encoder);
}

describe('send bound', () => {
  it('always queues the first sync reply, however large, and counts only what comes on top of it until it is written', () => {
    const bound = new SendBound(1_000);
    const ws = socket();
    expect(bound.offer(syncStep2(50_000), ws.buffered, ws.send)).toBe(true);
    // Live updates behind the whole doc still go out while it drains...
    for (let index = 0; index < 5; index++) expect(bound.offer(encodeDocUpdate(new Uint8Array(150)), ws.buffered, ws.send)).toBe(true);
    // ...but a backlog past the bound on top of it is a client that stopped reading.
    expect(bound.offer(encodeDocUpdate(new Uint8Array(400)), ws.buffered, ws.send)).toBe(false);
    ws.flush();
    expect(bound.offer(encodeDocUpdate(new Uint8Array(400)), ws.buffered, ws.send)).toBe(true);
  });

  it('counts later sync replies like everything else, so repeated step 1s cannot pile up copies of the doc', () => {
    const bound = new SendBound(1_000);
    const ws = socket();
    expect(bound.offer(syncStep2(5_000), ws.buffered, ws.send)).toBe(true);
    ws.flush();
    expect(bound.offer(syncStep2(5_000), ws.buffered, ws.send)).toBe(false);
  });
});
