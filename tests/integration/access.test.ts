import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDeal, readDeals, readMeta, readStages } from '../../shared/board-doc.ts';
import { boardRoom, contactsRoom } from '../../shared/rooms.ts';
import { addContact, readContacts } from '../../shared/contacts-doc.ts';
import { ServerProcess, storageKinds, type Storage } from '../support/server-process.ts';
import { api, connectClient, eventually, signUp, signUpColleague, upgradeStatus, type Account } from '../support/clients.ts';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Roles and revocation enforced on live sockets: the upgrade, every message after it, and membership changes. */
describe.each(storageKinds)('access on live sockets on $label', ({ create }) => {
  let storage: Storage;
  let server: ServerProcess;
  let admin: Account;
  const clients: Array<{ destroy(): void }> = [];

  /** A stock client that records the close codes the server sent it. */
  const connect = (room: string, auth: { token?: string; cookie?: string; origin?: string }) => {
    const client = connectClient(server.wsUrl, room, auth);
    const closes: number[] = [];
    client.provider.on('connection-close', (event: CloseEvent | null) => {
      if (event) closes.push(event.code);
    });
    clients.push(client);
    return { ...client, closes };
  };

  /** A new colleague in the admin's workspace with `role`. */
  const join = (name: string, role: string): Promise<Account> => signUpColleague(server.url, admin, name, role);

  const newDeal = (doc: Parameters<typeof readStages>[0], title: string) => addDeal(doc, readStages(doc)[0].id, { title, value: 1000, currency: 'EUR' });
  const titles = (doc: Parameters<typeof readDeals>[0]) => readDeals(doc).map((deal) => deal.title);

  beforeAll(async () => {
    storage = await create();
    server = await ServerProcess.start(storage, { ROOM_UNLOAD_MS: '200' });
    admin = await signUp(server.url, 'Ada');
  });

  afterAll(async () => {
    clients.forEach((client) => client.destroy());
    await server?.stop();
    await storage?.dispose();
  });

  it('gives a viewer the live board but refuses every change it sends, and nothing of it is stored', async () => {
    const viewer = await join('Vera', 'viewer');
    const room = boardRoom(admin.pipelineId);
    const adminBoard = connect(room, { token: admin.token });
    const viewerBoard = connect(room, { token: viewer.token });
    await Promise.all([adminBoard.synced, viewerBoard.synced]);
    newDeal(adminBoard.doc, 'Seen live by the viewer');
    await eventually(() => expect(titles(viewerBoard.doc)).toContain('Seen live by the viewer'));
    await wait(300);
    expect(viewerBoard.closes).toEqual([]);

    newDeal(viewerBoard.doc, 'Forged by the viewer');
    await eventually(() => expect(viewerBoard.closes).toContain(4403));
    viewerBoard.destroy();
    await wait(300);
    expect(titles(adminBoard.doc)).not.toContain('Forged by the viewer');
    expect(server.output).toMatch(/message refused.*read-only/);

    // Not in the stored doc either: a fresh client after a restart.
    await server.stop();
    await server.start();
    const fresh = connect(room, { token: admin.token });
    await fresh.synced;
    expect(titles(fresh.doc)).toContain('Seen live by the viewer');
    expect(titles(fresh.doc)).not.toContain('Forged by the viewer');
  });

  it('refuses the upgrade (401/403) before any Yjs message for strangers and roles a pipeline is not for', async () => {
    const support = await join('Sam', 'support');
    const sales = await join('Sal', 'sales');
    const url = `${server.wsUrl}/${boardRoom(admin.pipelineId)}`;
    expect(await upgradeStatus(url)).toBe(401);
    const limited = await api(server.url, `/api/workspaces/${admin.workspaceId}/pipelines/${admin.pipelineId}`, {
      method: 'PATCH',
      body: { allowedRoles: ['support'] },
      cookie: admin.cookie
    });
    expect(limited.status).toBe(200);
    expect(await upgradeStatus(url, { authorization: `Bearer ${sales.token}` })).toBe(403);
    expect(await upgradeStatus(url, { authorization: `Bearer ${support.token}` })).toBe(101);
    expect(await upgradeStatus(url, { authorization: `Bearer ${admin.token}` })).toBe(101);
    await api(server.url, `/api/workspaces/${admin.workspaceId}/pipelines/${admin.pipelineId}`, { method: 'PATCH', body: { allowedRoles: null }, cookie: admin.cookie });
    expect(await upgradeStatus(url, { authorization: `Bearer ${sales.token}` })).toBe(101);
  });

  it('serves a board’s first page only to whom its socket is open, and follows the doc', async () => {
    const support = await join('Sia', 'support');
    const sales = await join('Sol', 'sales');
    const stranger = await signUp(server.url, 'Stan');
    const path = `/api/pipelines/${admin.pipelineId}/first-page`;
    expect((await api(server.url, path)).status).toBe(401);
    expect((await api(server.url, path, { cookie: stranger.cookie })).status).toBe(403);
    await api(server.url, `/api/workspaces/${admin.workspaceId}/pipelines/${admin.pipelineId}`, { method: 'PATCH', body: { allowedRoles: ['support'] }, cookie: admin.cookie });
    try {
      expect((await api(server.url, path, { cookie: sales.cookie })).status).toBe(403);
      const before = await api(server.url, path, { cookie: support.cookie });
      expect(before.status).toBe(200);
      const board = connect(boardRoom(admin.pipelineId), { token: admin.token });
      await board.synced;
      const stages = readStages(board.doc);
      expect(before.json.columns.map((column: { stage: { name: string } }) => column.stage.name)).toEqual(stages.map((stage) => stage.name));
      const count = before.json.columns[0].count;
      const id = newDeal(board.doc, 'Fresh on the first page');
      await eventually(async () => {
        const after = (await api(server.url, path, { cookie: support.cookie })).json;
        expect(after.columns[0].count).toBe(count + 1);
        expect(after.columns[0].deals.map((deal: { id: string }) => deal.id)).toContain(id);
      });
    } finally {
      await api(server.url, `/api/workspaces/${admin.workspaceId}/pipelines/${admin.pipelineId}`, { method: 'PATCH', body: { allowedRoles: null }, cookie: admin.cookie });
    }
  });

  it('opens a new pipeline with its stages and no deals to the roles it is for, and keeps the others out', async () => {
    const support = await join('Sue', 'support');
    const sales = await join('Sid', 'sales');
    const stages = [
      { name: 'Kick-off', probability: 20, outcome: 'open' },
      { name: 'Training', probability: 60, outcome: 'open' },
      { name: 'Live', probability: 100, outcome: 'won' }
    ];
    const created = await api(server.url, `/api/workspaces/${admin.workspaceId}/pipelines`, {
      method: 'POST',
      body: { name: 'Onboarding', stages, allowedRoles: ['support'] },
      cookie: admin.cookie
    });
    expect(created.status).toBe(201);
    const room = boardRoom(created.json.id);
    expect(await upgradeStatus(`${server.wsUrl}/${room}`, { authorization: `Bearer ${sales.token}` })).toBe(403);
    const supportBoard = connect(room, { token: support.token });
    const adminBoard = connect(room, { token: admin.token });
    await Promise.all([supportBoard.synced, adminBoard.synced]);
    expect(readStages(supportBoard.doc).map(({ name, probability, outcome }) => ({ name, probability, outcome }))).toEqual(stages);
    expect(readDeals(supportBoard.doc)).toEqual([]);
    newDeal(supportBoard.doc, 'First customer onboarding');
    await eventually(() => expect(titles(adminBoard.doc)).toEqual(['First customer onboarding']));
  });

  it('renames a pipeline on every open board at once, and the name is stored in its doc', async () => {
    const rep = await join('Ray', 'sales');
    const created = await api(server.url, `/api/workspaces/${admin.workspaceId}/pipelines`, { method: 'POST', body: { name: 'Renewals' }, cookie: admin.cookie });
    const room = boardRoom(created.json.id);
    const repBoard = connect(room, { token: rep.token });
    await repBoard.synced;
    expect(readMeta(repBoard.doc).name).toBe('Renewals');
    const path = `/api/workspaces/${admin.workspaceId}/pipelines/${created.json.id}`;
    expect((await api(server.url, path, { method: 'PATCH', body: { name: 'Renewals 2027' }, cookie: admin.cookie })).status).toBe(200);
    await eventually(() => expect(readMeta(repBoard.doc).name).toBe('Renewals 2027'));
    repBoard.destroy();

    // Renamed while nobody has it open: the room is loaded for the write, and a later reader gets the name.
    await wait(400);
    await api(server.url, path, { method: 'PATCH', body: { name: 'Renewals FY27' }, cookie: admin.cookie });
    await wait(400);
    const later = connect(room, { token: rep.token });
    await later.synced;
    expect(readMeta(later.doc).name).toBe('Renewals FY27');
  });

  it('disconnects a member at once when a pipeline is limited to other roles', async () => {
    const marketer = await join('Mia', 'marketing');
    const board = connect(boardRoom(admin.pipelineId), { token: marketer.token });
    await board.synced;
    await api(server.url, `/api/workspaces/${admin.workspaceId}/pipelines/${admin.pipelineId}`, { method: 'PATCH', body: { allowedRoles: ['sales'] }, cookie: admin.cookie });
    await eventually(() => expect(board.closes).toContain(4403));
    expect(board.provider.wsconnected).toBe(false);
    await api(server.url, `/api/workspaces/${admin.workspaceId}/pipelines/${admin.pipelineId}`, { method: 'PATCH', body: { allowedRoles: null }, cookie: admin.cookie });
  });

  it('disconnects a removed member from every room at once; their later edits reach nobody', async () => {
    const rep = await join('Rex', 'sales');
    const adminBoard = connect(boardRoom(admin.pipelineId), { token: admin.token });
    const repBoard = connect(boardRoom(admin.pipelineId), { token: rep.token });
    const repContacts = connect(contactsRoom(admin.workspaceId), { token: rep.token });
    await Promise.all([adminBoard.synced, repBoard.synced, repContacts.synced]);
    const removed = await api(server.url, `/api/workspaces/${admin.workspaceId}/members/${rep.userId}`, { method: 'DELETE', cookie: admin.cookie });
    expect(removed.status).toBe(204);
    await eventually(() => {
      expect(repBoard.closes).toContain(4403);
      expect(repContacts.closes).toContain(4403);
    });
    newDeal(repBoard.doc, 'Written after removal');
    addContact(repContacts.doc, { name: 'Written after removal' });
    await wait(1_000);
    expect(titles(adminBoard.doc)).not.toContain('Written after removal');
    expect(await upgradeStatus(`${server.wsUrl}/${boardRoom(admin.pipelineId)}`, { authorization: `Bearer ${rep.token}` })).toBe(403);
    const adminContacts = connect(contactsRoom(admin.workspaceId), { token: admin.token });
    await adminContacts.synced;
    expect(readContacts(adminContacts.doc).map((contact) => contact.name)).not.toContain('Written after removal');
  });

  it('makes a live socket read-only as soon as its member is demoted to viewer', async () => {
    const rep = await join('Ray', 'sales');
    const adminBoard = connect(boardRoom(admin.pipelineId), { token: admin.token });
    const repBoard = connect(boardRoom(admin.pipelineId), { token: rep.token });
    await Promise.all([adminBoard.synced, repBoard.synced]);
    newDeal(repBoard.doc, 'Before the demotion');
    await eventually(() => expect(titles(adminBoard.doc)).toContain('Before the demotion'));
    const demoted = await api(server.url, `/api/workspaces/${admin.workspaceId}/members/${rep.userId}`, { method: 'PATCH', body: { role: 'viewer' }, cookie: admin.cookie });
    expect(demoted.json.role).toBe('viewer');
    newDeal(repBoard.doc, 'After the demotion');
    await eventually(() => expect(repBoard.closes).toContain(4403));
    await wait(300);
    expect(titles(adminBoard.doc)).not.toContain('After the demotion');
  });

  it('closes the sockets of every session when a user logs out everywhere', async () => {
    const rep = await join('Rio', 'sales');
    const board = connect(boardRoom(admin.pipelineId), { cookie: rep.cookie, origin: server.url });
    await board.synced;
    const out = await api(server.url, '/api/auth/logout-everywhere', { method: 'POST', cookie: rep.cookie });
    expect(out.json.socketsClosed).toBeGreaterThanOrEqual(1);
    await eventually(() => expect(board.closes).toContain(4401));
    expect(await upgradeStatus(`${server.wsUrl}/${boardRoom(admin.pipelineId)}`, { cookie: rep.cookie, origin: server.url })).toBe(401);
  });
});
