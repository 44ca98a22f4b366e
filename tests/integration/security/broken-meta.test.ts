import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { readDeals, readSchemaVersion, readStages, updateDeal } from '../../../shared/board-doc.ts';
import { addContact, readContacts } from '../../../shared/contacts-doc.ts';
import { boardRoom, contactsRoom } from '../../../shared/rooms.ts';
import { openDb } from '../../../server/store/db.ts';
import { appendUpdates, loadRoomState } from '../../../server/store/update-log.ts';
import { storageKinds, type Storage } from '../../support/server-process.ts';
import { api, connectClient, eventually, upgradeStatus } from '../../support/clients.ts';
import { teamSuite } from '../../support/team-suite.ts';

type Client = ReturnType<typeof connectClient>;

/** The close codes a stock client's socket was closed with. */
function closeCodes(client: Client): number[] {
  const codes: number[] = [];
  client.provider.on('connection-close', (event: CloseEvent | null) => {
    if (event) codes.push(event.code);
  });
  return codes;
}

/** Write a change into a room's stored state behind the server's back, as data stored before today's checks would be. */
async function plantStoredChange(storage: Storage, room: string, change: (doc: Y.Doc) => void): Promise<void> {
  const db = await openDb({ databaseUrl: storage.env.DATABASE_URL, dataDir: storage.env.DATA_DIR ?? '' });
  try {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, (await loadRoomState(db, room))!);
    const before = Y.encodeStateVector(doc);
    change(doc);
    await appendUpdates(db, [{ room, data: Y.encodeStateAsUpdate(doc, before), userId: null, at: Date.now() }]);
  } finally {
    await db.close();
  }
}

/** The room's own awareness state says why a doc is read-only. */
function degradedReason(client: Client): string | null {
  for (const state of client.provider.awareness.getStates().values()) {
    const degraded = (state as { degraded?: { reason: string } }).degraded;
    if (degraded) return degraded.reason;
  }
  return null;
}

describe.each(storageKinds)('a member cannot brick a doc by writing meta, and a broken doc degrades instead of failing ($label)', ({ create }) => {
  const team = teamSuite(create, { ROOM_UNLOAD_MS: '100' });

  it('refuses meta.schemaVersion = 99 from a member’s stock client with 4422; the board still opens after the room unloads', async () => {
    const { server, ann, bob } = team;
    const room = boardRoom(ann.pipelineId);
    const bobBoard = connectClient(server.wsUrl, room, { token: bob.token });
    team.clients.push(bobBoard);
    const codes = closeCodes(bobBoard);
    await bobBoard.synced;
    bobBoard.doc.getMap('meta').set('schemaVersion', 99);
    await eventually(() => expect(codes).toContain(4422));
    bobBoard.destroy();
    expect(server.output).toMatch(/meta\.schemaVersion is written by the server only/);

    // Let the room unload, then open it again: it loads, at schemaVersion 2, for everyone.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await upgradeStatus(`${server.wsUrl}/${room}`, { authorization: `Bearer ${ann.token}` })).toBe(101);
    const annBoard = connectClient(server.wsUrl, room, { token: ann.token });
    team.clients.push(annBoard);
    await annBoard.synced;
    expect(readSchemaVersion(annBoard.doc)).toBe(2);
    expect(readDeals(annBoard.doc)).toHaveLength(30);
    annBoard.destroy();
  });

  it('opens a board stored with a broken meta read-only with the reason, refuses writes with 4423, and an admin’s repair makes it writable', async () => {
    const { server, storage, ann, bob } = team;
    const room = boardRoom(ann.pipelineId);
    await server.stop();
    await plantStoredChange(storage, room, (doc) => {
      doc.getMap('meta').set('schemaVersion', 99);
      doc.getMap('meta').set('name', 7);
    });
    await server.start();

    expect(await upgradeStatus(`${server.wsUrl}/${room}`, { authorization: `Bearer ${ann.token}` })).toBe(101);
    const bobBoard = connectClient(server.wsUrl, room, { token: bob.token });
    team.clients.push(bobBoard);
    const codes = closeCodes(bobBoard);
    await bobBoard.synced;
    await eventually(() => expect(degradedReason(bobBoard)).toMatch(/schemaVersion 99, newer than this code/));
    expect(readDeals(bobBoard.doc)).toHaveLength(30);
    updateDeal(bobBoard.doc, readDeals(bobBoard.doc)[0].id, { title: 'Edited while broken' });
    await eventually(() => expect(codes).toContain(4423));
    bobBoard.destroy();

    const refused = await api(server.url, `/api/workspaces/${ann.workspaceId}/pipelines/${ann.pipelineId}/repair`, { method: 'POST', cookie: bob.cookie });
    expect(refused.status).toBe(403);
    const repaired = await api(server.url, `/api/workspaces/${ann.workspaceId}/pipelines/${ann.pipelineId}/repair`, { method: 'POST', cookie: ann.cookie });
    expect(repaired.status).toBe(200);
    expect(repaired.json.degraded).toBeNull();

    const bobAgain = connectClient(server.wsUrl, room, { token: bob.token });
    team.clients.push(bobAgain);
    const codesAgain = closeCodes(bobAgain);
    await bobAgain.synced;
    expect(degradedReason(bobAgain)).toBeNull();
    expect(readSchemaVersion(bobAgain.doc)).toBe(2);
    expect(bobAgain.doc.getMap('meta').get('name')).toBe('Sales pipeline');
    const dealId = readDeals(bobAgain.doc)[0].id;
    updateDeal(bobAgain.doc, dealId, { title: 'Edited after the repair' });
    const annBoard = connectClient(server.wsUrl, room, { token: ann.token });
    team.clients.push(annBoard);
    await eventually(() => expect(readDeals(annBoard.doc).find((deal) => deal.id === dealId)?.title).toBe('Edited after the repair'));
    expect(codesAgain).toEqual([]);
    expect(readStages(annBoard.doc)).toHaveLength(7);
    bobAgain.destroy();
    annBoard.destroy();
  });

  it('does the same for the contacts doc', async () => {
    const { server, storage, ann, bob } = team;
    const room = contactsRoom(ann.workspaceId);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await server.stop();
    await plantStoredChange(storage, room, (doc) => doc.getMap('meta').set('workspaceId', { not: 'an id' }));
    await server.start();

    const bobContacts = connectClient(server.wsUrl, room, { token: bob.token });
    team.clients.push(bobContacts);
    const codes = closeCodes(bobContacts);
    await bobContacts.synced;
    await eventually(() => expect(degradedReason(bobContacts)).toMatch(/meta\.workspaceId must be a string/));
    addContact(bobContacts.doc, { name: 'Written while broken' });
    await eventually(() => expect(codes).toContain(4423));
    bobContacts.destroy();

    const repaired = await api(server.url, `/api/workspaces/${ann.workspaceId}/contacts/repair`, { method: 'POST', cookie: ann.cookie });
    expect(repaired.status).toBe(200);
    expect(repaired.json.degraded).toBeNull();
    const again = connectClient(server.wsUrl, room, { token: bob.token });
    team.clients.push(again);
    await again.synced;
    expect(again.doc.getMap('meta').get('workspaceId')).toBe(ann.workspaceId);
    addContact(again.doc, { name: 'Written after the repair' });
    const annContacts = connectClient(server.wsUrl, room, { token: ann.token });
    team.clients.push(annContacts);
    await eventually(() => expect(readContacts(annContacts.doc).map((contact) => contact.name)).toContain('Written after the repair'));
    again.destroy();
    annContacts.destroy();
  });
});
