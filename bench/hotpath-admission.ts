/**
 * `node --import tsx bench/hotpath-admission.ts`: what the schema admission step costs per edit, in one process, for
 * the edits members make (field edits, moves, tags, notes typing, new and deleted deals), as bench/admission-cost.ts
 * does for field edits alone. A room holding the sample board fans each edit out to FAN_OUT clients that apply it;
 * rounds alternate between a room without and with the admission check; the figures are CPU time per edit. Also: how many edits the first pass settled,
 * how often the admission copy was built, and the server-side cost of one edit without any client applying it.
 */
import * as Y from 'yjs';
import { addDeal, dealNotes, deleteDeal, moveDeal, readDeals, readStages, updateDeal } from '../shared/board-doc.ts';
import type { SchemaAdmission } from '../server/sync/admission.ts';
import type { Connection } from '../server/sync/room.ts';
import { encodeDocUpdate } from '../server/sync/protocol.ts';
import { board, room as sampleRoom, watcher } from './admission-cost.ts';

const FAN_OUT = Number(process.env.FAN_OUT ?? 20);
const EDITS = 600;
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const MIX = process.env.MIX ?? 'members';

/** The edits, each as the message a stock client sends (its transaction's update event). `members`: a mix of what people do; `fields`: value and title only. */
function edits(): Uint8Array[] {
  const replica = new Y.Doc();
  Y.applyUpdate(replica, Y.encodeStateAsUpdate(board));
  const stages = readStages(replica).map((stage) => stage.id);
  const messages: Uint8Array[] = [];
  // What y-websocket sends for each local transaction: the transaction's own update.
  replica.on('update', (update: Uint8Array) => messages.push(encodeDocUpdate(update)));
  for (let i = 0; i < EDITS; i++) {
    const ids = readDeals(replica).map((deal) => deal.id);
    const id = ids[i % ids.length];
    const roll = MIX === 'fields' ? 0 : i % 20;
    if (roll < 10) updateDeal(replica, id, { value: i, title: `Deal ${i}` });
    else if (roll < 13) moveDeal(replica, id, stages[i % stages.length], 0);
    else if (roll < 15) updateDeal(replica, id, { tags: i % 2 ? ['hot', `t${i % 5}`] : [] });
    else if (roll < 18) dealNotes(replica, id)!.insert(0, `note ${i} `);
    else if (roll === 18) addDeal(replica, stages[0], { title: `New ${i}`, value: i });
    else deleteDeal(replica, ids[(i * 7) % ids.length]);
  }
  return messages;
}

function fanOutMicros(guarded: boolean, messages: Uint8Array[], fanOut: number): { micros: number; counts?: SchemaAdmission['counts'] } {
  const target = sampleRoom(guarded, (message) => {
    throw new Error(`refused: ${message}`);
  });
  const writer: Connection = { id: 'a', userId: 'a', send() {}, close() {} };
  target.join(writer);
  for (let i = 0; i < fanOut; i++) target.join(watcher());
  // CPU time rather than wall time: on a shared machine, waiting for a core is not the server's cost.
  const started = process.cpuUsage();
  for (const message of messages) target.receive(writer, message);
  const used = process.cpuUsage(started);
  const micros = (used.user + used.system) / messages.length;
  const counts = (target.guard as SchemaAdmission | null)?.counts;
  target.destroy();
  return { micros, counts: counts && { ...counts } };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const messages = edits();
const table: Record<string, Record<string, string>> = {};
for (const fanOut of [FAN_OUT, 0]) {
  const plain: number[] = [];
  const guarded: number[] = [];
  let counts: SchemaAdmission['counts'] | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which goes first, so garbage one round leaves behind is not always collected in the other's time.
    for (const withAdmission of round % 2 ? [true, false] : [false, true]) {
      const result = fanOutMicros(withAdmission, messages, fanOut);
      (withAdmission ? guarded : plain).push(result.micros);
      if (withAdmission) counts = result.counts;
    }
  }
  const overhead = ((median(guarded) - median(plain)) / median(plain)) * 100;
  table[`${MIX} edits, ${fanOut} clients applying`] = {
    'without admission µs': median(plain).toFixed(1),
    'with admission µs': median(guarded).toFixed(1),
    overhead: `${overhead.toFixed(1)} %`,
    'settled by first pass': String(counts?.settledByFirstPass),
    'checked on copy': String(counts?.checkedOnCopy),
    'copies built': String(counts?.copiesBuilt)
  };
}
console.table(table);
process.exit(0);
