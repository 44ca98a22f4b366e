/**
 * A large board for the bench: `count` deals spread over the stages, written by a stock client in transactions of
 * `chunk` deals (each a WebSocket frame well under MAX_MESSAGE_BYTES). The shared `addDeal` reads the whole column
 * per call (2,000 deals take ~19 s), so ranks are made in bulk with fractional-indexing and each deal is written
 * with exactly the fields addDeal writes; `docProblems` checks the result against the doc schema, as the server does.
 */
import * as Y from 'yjs';
import { generateNKeysBetween } from 'fractional-indexing';
import { readColumn, readStages } from '../shared/board-doc.ts';
import { docProblems, describeProblem } from '../shared/doc-schema.ts';
import { newId } from '../shared/ids.ts';

const CURRENCIES = ['USD', 'EUR', 'GBP'] as const;

export function addManyDeals(doc: Y.Doc, count: number, chunk = 500): void {
  const stages = readStages(doc);
  const perStage = stages.map((_stage, i) => Math.floor(count / stages.length) + (i < count % stages.length ? 1 : 0));
  const ranks = stages.map((stage, i) => generateNKeysBetween(readColumn(doc, stage.id).at(-1)?.rank ?? null, null, perStage[i]));
  const deals = doc.getMap<Y.Map<unknown>>('deals');
  const now = Date.now();
  const queue = stages.flatMap((stage, i) => ranks[i].map((rank) => ({ stageId: stage.id, rank })));
  for (let start = 0; start < queue.length; start += chunk) {
    doc.transact(() => {
      for (const [offset, place] of queue.slice(start, start + chunk).entries()) {
        const n = start + offset;
        const id = newId();
        const map = new Y.Map<unknown>();
        deals.set(id, map);
        const fields = {
          id,
          title: `Bench deal ${n} — renewal for account ${n % 997}`,
          value: (n * 37) % 250_000,
          currency: CURRENCIES[n % CURRENCIES.length],
          contactId: null,
          ownerId: null,
          expectedCloseDate: null,
          stageId: place.stageId,
          rank: place.rank,
          createdAt: now,
          updatedAt: now,
          lastActivityAt: now - (n % 30) * 86_400_000
        };
        for (const [key, value] of Object.entries(fields)) map.set(key, value);
        const tags = new Y.Map<boolean>();
        if (n % 3 === 0) tags.set(n % 2 ? 'renewal' : 'upsell', true);
        map.set('tags', tags);
        map.set('notes', new Y.Text());
      }
    });
  }
  const problems = docProblems(doc, 'board');
  if (problems.length) throw new Error(`the bench board breaks the schema: ${problems.slice(0, 3).map(describeProblem).join('; ')}`);
}
