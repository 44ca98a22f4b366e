import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { shapeOf } from './doc-limits.ts';
import { updateShape } from './update-shape.ts';
import { writeManyDeals } from '../../tests/support/big-board.ts';
import { initBoard } from '../../shared/board-doc.ts';
import { DEFAULT_STAGES } from '../../shared/sample-pipeline.ts';

/** Every update a doc emits while `edit` runs, and its whole state afterwards. */
function updatesOf(edit: (doc: Y.Doc) => void | Promise<void>): Promise<Uint8Array[]> {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  return Promise.resolve(edit(doc)).then(() => [...updates, Y.encodeStateAsUpdate(doc)]);
}

const expectSameShape = (updates: Uint8Array[]) => {
  for (const update of updates) expect(updateShape(update)).toEqual(shapeOf(Y.decodeUpdate(update)));
};

describe('updateShape', () => {
  it('counts what Y.decodeUpdate counts, for every kind of content', async () => {
    expectSameShape(
      await updatesOf((doc) => {
        const map = doc.getMap('m');
        map.set('any', { a: [1, 2.5, -3, 2 ** 40, null, true, false, 'x', { deep: [new Uint8Array([1, 2])] }], b: undefined });
        map.set('bigint', 12n);
        map.set('float', Math.PI);
        map.set('bytes', new Uint8Array([9, 8, 7]));
        const text = new Y.Text();
        map.set('text', text);
        text.insert(0, 'hello wörld 👋');
        text.insertEmbed(3, { image: 'a.png' });
        text.format(0, 4, { bold: true });
        text.delete(1, 2);
        const array = doc.getArray('a');
        array.insert(0, [1, 'two', { three: 3 }]);
        array.delete(1, 1);
        const xml = doc.getXmlFragment('x');
        const element = new Y.XmlElement('p');
        xml.insert(0, [element, new Y.XmlText('t'), new Y.XmlHook('hook')]);
        element.setAttribute('class', 'c');
        map.set('sub', new Y.Doc({ guid: 'sub-doc', meta: { kind: 'notes' } }));
        map.delete('float');
        // Another client's edits after the first's: origins and right origins by id.
        const other = new Y.Doc();
        Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
        other.getText('t2').insert(0, 'abc');
        (other.getMap('m').get('text') as Y.Text).insert(2, 'middle');
        Y.applyUpdate(doc, Y.encodeStateAsUpdate(other, Y.encodeStateVector(doc)));
      })
    );
  });

  it('counts a 1,000-deal board, update by update and whole, as Y.decodeUpdate does', async () => {
    const updates = await updatesOf(async (doc) => {
      initBoard(doc, { pipelineId: 'p', workspaceId: 'w', name: 'Big', stages: DEFAULT_STAGES });
      await writeManyDeals(doc, 1_000, { batch: 100 });
      (doc.getMap('deals').get('big-3') as Y.Map<unknown>).set('title', 'renamed');
      doc.getMap('deals').delete('big-4');
    });
    expectSameShape(updates);
    expect(updateShape(updates.at(-1)!).structs).toBeGreaterThan(10_000);
  });

  it('throws on an update it cannot walk, so the load falls back to Y.decodeUpdate', async () => {
    const [update] = await updatesOf((doc) => doc.getMap('m').set('k', 'a value long enough'));
    expect(() => updateShape(update.slice(0, update.length - 6))).toThrow();
    expect(() => updateShape(new Uint8Array([1, 1, 0, 0, 0x9f, 0, 0]))).toThrow(/content kind/);
  });
});
