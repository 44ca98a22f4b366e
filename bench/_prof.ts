import * as Y from 'yjs';
import { buildSamplePipeline } from '../shared/sample-pipeline.ts';
import { readDeals, updateDeal } from '../shared/board-doc.ts';
import { SchemaAdmission } from '../server/sync/admission.ts';
import { Room } from '../server/sync/room.ts';
import { encodeDocUpdate } from '../server/sync/protocol.ts';

const { board } = buildSamplePipeline({ pipelineId: 'p', workspaceId: 'w', ownerId: 'u', now: Date.now() });
function setup(guarded: boolean) {
  const room = new Room('board:p', { onUpdate() {}, onRejected(r, c, rej) { r.disconnect(c, rej.code, rej.message); } });
  room.load([Y.encodeStateAsUpdate(board)]);
  if (guarded) room.guard = new SchemaAdmission('board', room.doc);
  return room;
}
const replica = new Y.Doc(); Y.applyUpdate(replica, Y.encodeStateAsUpdate(board));
const id = readDeals(replica)[0].id;
const valid: Uint8Array[] = [];
for (let i = 0; i < 2000; i++) { const sv = Y.encodeStateVector(replica); updateDeal(replica, id, { value: i }); valid.push(encodeDocUpdate(Y.encodeStateAsUpdate(replica, sv))); }
const badDoc = new Y.Doc(); Y.applyUpdate(badDoc, Y.encodeStateAsUpdate(board)); const sv = Y.encodeStateVector(badDoc);
(badDoc.getMap('deals').get(id) as Y.Map<unknown>).set('value', 'x'); const bad = encodeDocUpdate(Y.encodeStateAsUpdate(badDoc, sv));
for (const guarded of [true]) {
  const room = setup(guarded);
  const conn = { id: 'c', userId: 'u', send() {}, close() {} };
  room.join(conn);
  let t = performance.now();
  for (const m of valid) room.receive(conn, m);
  const perValid = (performance.now() - t) / valid.length * 1000;
  let refused = 0;
  t = performance.now();
  for (let i = 0; i < 300; i++) { const c = { id: 'b' + i, userId: 'u', send() {}, close() { refused++; } }; room.join(c); room.receive(c, bad); }
  const perBad = (performance.now() - t) / 300 * 1000;
  console.log(guarded ? 'guarded' : 'plain  ', `valid update ${perValid.toFixed(1)} µs`, `refused update ${perBad.toFixed(1)} µs (refused ${refused})`);
}
