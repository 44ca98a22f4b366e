import * as Y from 'yjs';
import { generateNKeysBetween } from 'fractional-indexing';
import { readColumns, readStages } from '../../shared/board-doc.ts';
import { docProblems, describeProblem } from '../../shared/doc-schema.ts';
import { boardRoom } from '../../shared/rooms.ts';
import { connectClient, eventually, type Account } from './clients.ts';

const WORDS = ['Warehouse', 'analytics', 'rollout', 'renewal', 'pilot', 'upgrade', 'migration', 'portal', 'suite', 'dashboard', 'integration', 'scheduling', 'for', 'the', 'regional', 'branch', 'team', 'plan'];
const TAGS = ['enterprise', 'renewal', 'trial', 'inbound', 'referral', 'expansion'];

/** A deal title of one to four dozen words, so cards take one, two or three lines, as on a real board. */
function titleOf(i: number): string {
  const words = [`Deal ${i}`];
  for (let w = 0; w < (i % 7) * 2; w++) words.push(WORDS[(i * 7 + w * 3) % WORDS.length]);
  return words.join(' ');
}

/**
 * Write `count` deals into `doc` after each stage's last card, spread over the stages, in transactions of `batch` deals
 * (each update well under the 1 MiB frame limit), pausing `pauseMs` between them so a server can check each update
 * before the next. Every deal carries exactly the fields addDeal writes (addDeal itself reads the whole column per
 * call, far too slow for 10,000); the result is checked against the doc schema, as the server checks it.
 */
export async function writeManyDeals(doc: Y.Doc, count: number, options: { batch?: number; ownerId?: string | null; pauseMs?: number } = {}): Promise<void> {
  const { batch = 500, ownerId = null, pauseMs = 0 } = options;
  const stages = readStages(doc);
  const columns = readColumns(doc);
  const perStage = Math.ceil(count / stages.length);
  const ranks = new Map(stages.map((stage) => [stage.id, generateNKeysBetween(columns.get(stage.id)?.at(-1)?.rank ?? null, null, perStage)]));
  const now = Date.now();
  const first = doc.getMap('deals').size;
  for (let from = 0; from < count; from += batch) {
    doc.transact(() => {
      const deals = doc.getMap('deals');
      for (let i = from; i < Math.min(count, from + batch); i++) {
        const stage = stages[i % stages.length];
        const id = `big-${first + i}`;
        const map = new Y.Map<unknown>();
        deals.set(id, map);
        const fields = {
          id,
          title: titleOf(i),
          value: 1_000 + ((i * 37) % 200) * 500,
          currency: 'USD',
          stageId: stage.id,
          rank: ranks.get(stage.id)![Math.floor(i / stages.length)],
          contactId: null,
          ownerId: i % 3 === 0 ? ownerId : null,
          expectedCloseDate: null,
          createdAt: now,
          updatedAt: now,
          lastActivityAt: now - (i % 20) * 86_400_000
        };
        for (const [key, value] of Object.entries(fields)) map.set(key, value);
        const tags = new Y.Map<boolean>();
        map.set('tags', tags);
        if (i % 4 === 0) tags.set(TAGS[i % TAGS.length], true);
        map.set('notes', new Y.Text());
      }
    });
    if (pauseMs) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  const problems = docProblems(doc, 'board');
  if (problems.length) throw new Error(`the big board breaks the schema: ${problems.slice(0, 3).map(describeProblem).join('; ')}`);
}

/**
 * Fill `account`'s board with `count` more deals through a stock y-websocket client (its API token), see
 * writeManyDeals. Resolves once a second stock client, connected afresh, reads every deal back from the server.
 */
export async function seedBigBoard(wsUrl: string, account: Account, count = 10_000, batch = 500): Promise<{ dealCount: number }> {
  const room = boardRoom(account.pipelineId);
  const writer = connectClient(wsUrl, room, { token: account.token });
  try {
    await writer.synced;
    const doc = writer.doc;
    // Let the socket drain between batches: the server checks each update before the next.
    await writeManyDeals(doc, count, { batch, ownerId: account.userId, pauseMs: 20 });
    const expected = doc.getMap('deals').size;
    const reader = connectClient(wsUrl, room, { token: account.token });
    try {
      await reader.synced;
      await eventually(() => {
        if (reader.doc.getMap('deals').size !== expected) throw new Error(`the server has ${reader.doc.getMap('deals').size} of ${expected} deals`);
      }, 60_000);
    } finally {
      reader.destroy();
    }
    return { dealCount: expected };
  } finally {
    writer.destroy();
  }
}
