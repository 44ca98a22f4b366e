import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addDeal, initBoard, readStages } from '$shared/board-doc.ts';
import { BoardStore, type DocLink } from './board-store.svelte.ts';
import type { ConnectionStatus } from './connection-status.ts';

/** A stand-in for a y-websocket provider whose socket events the test drives. */
class FakeLink implements DocLink {
  destroyed = false;
  private statusListener: (status: ConnectionStatus) => void = () => {};
  private syncedListener: (synced: boolean) => void = () => {};
  onStatus(listener: (status: ConnectionStatus) => void) {
    this.statusListener = listener;
    listener('connecting');
  }
  onSynced(listener: (synced: boolean) => void) {
    this.syncedListener = listener;
  }
  report(status: ConnectionStatus, synced = status === 'connected') {
    this.statusListener(status);
    this.syncedListener(synced);
  }
  destroy() {
    this.destroyed = true;
  }
}

function board() {
  const doc = new Y.Doc();
  initBoard(doc, { pipelineId: 'p', workspaceId: 'w', name: 'Sales', stages: [{ name: 'Lead in', probability: 10, outcome: 'open' }] });
  return doc;
}

describe('BoardStore', () => {
  it('is connected and synced only when both docs are', () => {
    const boardLink = new FakeLink();
    const contactsLink = new FakeLink();
    const store = new BoardStore(board(), new Y.Doc(), [boardLink, contactsLink]);
    expect(store.status).toBe('connecting');
    boardLink.report('connected');
    expect([store.status, store.synced]).toEqual(['connecting', false]);
    contactsLink.report('connected');
    expect([store.status, store.synced]).toEqual(['connected', true]);
    contactsLink.report('disconnected');
    expect([store.status, store.synced]).toEqual(['disconnected', false]);
  });

  it('stops following the docs and closes its links when destroyed', () => {
    const doc = board();
    const links = [new FakeLink(), new FakeLink()];
    const store = new BoardStore(doc, new Y.Doc(), links);
    const stageId = readStages(doc)[0].id;
    store.destroy();
    addDeal(doc, stageId, { title: 'After leaving' });
    expect(store.columns.get(stageId)).toEqual([]);
    expect(links.every((link) => link.destroyed)).toBe(true);
  });

  it('sums columns in the currency most deals use', () => {
    const doc = board();
    const stageId = readStages(doc)[0].id;
    addDeal(doc, stageId, { title: 'A', value: 1, currency: 'EUR' });
    addDeal(doc, stageId, { title: 'B', value: 1, currency: 'EUR' });
    addDeal(doc, stageId, { title: 'C', value: 1, currency: 'USD' });
    expect(new BoardStore(doc, new Y.Doc()).mainCurrency).toBe('EUR');
  });
});
