import * as Y from 'yjs';

/**
 * A board doc exactly as schema v1 code wrote it (deals without notes), written with raw Y types because today's
 * accessors only write the current schema.
 */
export function writeV1Board(doc: Y.Doc, dealTitles: readonly string[]): string[] {
  const ids = dealTitles.map((_, index) => `deal-${index + 1}`);
  doc.transact(() => {
    const meta = doc.getMap<unknown>('meta');
    meta.set('schemaVersion', 1);
    meta.set('pipelineId', 'p1');
    meta.set('workspaceId', 'w1');
    meta.set('name', 'Sales');
    doc.getArray<Y.Map<unknown>>('stages').push([
      new Y.Map<unknown>(Object.entries({ id: 'lead', name: 'Lead in', probability: 10, outcome: 'open' }))
    ]);
    dealTitles.forEach((title, index) => {
      const deal = new Y.Map<unknown>();
      doc.getMap<Y.Map<unknown>>('deals').set(ids[index], deal);
      const fields = { id: ids[index], title, value: 100, currency: 'USD', stageId: 'lead', rank: `a${index}`, contactId: null, ownerId: null, expectedCloseDate: null, createdAt: 1, updatedAt: 1, lastActivityAt: 1 };
      for (const [key, value] of Object.entries(fields)) deal.set(key, value);
      deal.set('tags', new Y.Map<boolean>());
    });
  });
  return ids;
}
