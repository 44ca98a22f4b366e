import { describe, expect, it } from 'vitest';
import { boardRoom, contactsRoom } from '../../../shared/rooms.ts';
import { colorFor } from '../../../shared/presence-colors.ts';
import { connectClient, eventually, signUpColleague } from '../../support/clients.ts';
import { scrapeMetrics } from '../../support/metrics.ts';
import { awarenessMessage, logLinesSince, mib, rawSocket, wait } from '../../support/raw-socket.ts';
import { storageKinds } from '../../support/server-process.ts';
import { teamSuite } from '../../support/team-suite.ts';

/**
 * Issue #15 item 6: presence (awareness) from one connection could drop every client of a room, hold hundreds of
 * MiB, pass as another user or put a URL into colleagues' CSS. Each attack runs against a real server next to stock
 * clients, which must stay connected and keep seeing each other.
 */
describe.each(storageKinds)('presence abuse on $label', ({ create }) => {
  const team = teamSuite(create, { ROOM_UNLOAD_MS: '200' });

  /** Ann and Bob on one board with stock clients that publish their presence, as the browser does. */
  async function colleaguesOn(room: string) {
    const ann = connectClient(team.server.wsUrl, room, { token: team.ann.token });
    const bob = connectClient(team.server.wsUrl, room, { token: team.bob.token });
    team.clients.push(ann, bob);
    const closes: number[] = [];
    for (const client of [ann, bob]) client.provider.on('connection-close', (event: CloseEvent | null) => event && closes.push(event.code));
    await Promise.all([ann.synced, bob.synced]);
    ann.provider.awareness.setLocalStateField('user', { id: team.ann.userId, name: 'Ann', ...colorFor(team.ann.userId) });
    bob.provider.awareness.setLocalStateField('user', { id: team.bob.userId, name: 'Bob', ...colorFor(team.bob.userId) });
    await eventually(() => expect(ann.provider.awareness.getStates().has(bob.doc.clientID)).toBe(true));
    return { ann, bob, closes };
  }

  /** The others still see each other's changes live: the room was not disturbed. */
  async function stillLive({ ann, bob }: Awaited<ReturnType<typeof colleaguesOn>>, label: string) {
    bob.provider.awareness.setLocalStateField('openDealId', label);
    await eventually(() => expect(ann.provider.awareness.getStates().get(bob.doc.clientID)?.openDealId).toBe(label));
  }

  it('ties presence to the socket’s user: a viewer cannot pose as the admin, and a color that is not a color never reaches anyone', async () => {
    const viewer = await signUpColleague(team.server.url, team.ann, 'Vic', 'viewer');
    const room = contactsRoom(team.ann.workspaceId);
    const colleagues = await colleaguesOn(room);
    const forger = connectClient(team.server.wsUrl, room, { token: viewer.token });
    team.clients.push(forger);
    await forger.synced;
    forger.provider.awareness.setLocalState({
      user: { id: team.ann.userId, name: 'Ann', color: 'red;background:url(https://evil.example/beacon)', colorLight: 'url(https://evil.example/x)' },
      presenting: { pipelineId: team.ann.pipelineId, filters: { query: '', ownerId: null, tag: null }, scroll: 0, openDealId: null }
    });
    const seen = await eventually(() => {
      const state = colleagues.bob.provider.awareness.getStates().get(forger.doc.clientID);
      expect(state).toBeDefined();
      return state!;
    });
    expect(seen.user).toEqual({ id: viewer.userId, name: 'Vic', ...colorFor(viewer.userId) });
    // The "presenting" state is still shown, but as the viewer's own: a follower sees whom they follow.
    expect(seen.presenting).toMatchObject({ pipelineId: team.ann.pipelineId });
    expect(JSON.stringify([...colleagues.ann.provider.awareness.getStates().values()])).not.toMatch(/evil/);
    expect(colleagues.closes).toEqual([]);
  });

  it('closes a sender of 1 MB presence states (1008) before anyone receives one; the others stay connected', async () => {
    const colleagues = await colleaguesOn(boardRoom(team.ann.pipelineId));
    const logFrom = team.server.output.length;
    const before = await scrapeMetrics(team.server.url);
    const mallory = await rawSocket(team.server.wsUrl, boardRoom(team.ann.pipelineId), team.bob.token);
    const annReceived = () => colleagues.ann.provider.awareness.getStates().size;
    const statesBefore = annReceived();
    for (let frame = 0; frame < 20; frame++) mallory.send(awarenessMessage(new Map([[900_000 + frame, { junk: 'x'.repeat(1_000_000 - 200) }]])));
    const { code, reason } = await mallory.closed;
    expect(code).toBe(1008);
    expect(reason).toMatch(/presence state of \d+ bytes, over 4096/);
    await stillLive(colleagues, 'after big states');
    expect(annReceived()).toBe(statesBefore);
    expect(colleagues.closes).toEqual([]);
    const after = await scrapeMetrics(team.server.url);
    expect(after.get('lanes_messages_rejected_total{code="1008"}')! - (before.get('lanes_messages_rejected_total{code="1008"}') ?? 0)).toBe(1);
    expect(logLinesSince(team.server, logFrom)).toContainEqual(expect.objectContaining({ message: 'closing connection: message refused', code: 1008, user: team.bob.userId }));
  });

  it('keeps nothing of 300,000 empty client ids, and closes a connection that announces a fifth client id', async () => {
    const room = boardRoom(team.ann.pipelineId);
    const colleagues = await colleaguesOn(room);
    const before = await scrapeMetrics(team.server.url);
    const mallory = await rawSocket(team.server.wsUrl, room, team.bob.token);
    for (let frame = 0; frame < 3; frame++) {
      const empties = new Map<number, unknown>(Array.from({ length: 100_000 }, (_, index) => [1_000_000 + frame * 100_000 + index, null]));
      mallory.send(awarenessMessage(empties));
      await wait(200);
    }
    await stillLive(colleagues, 'after empty ids');
    expect(mallory.closedWith).toBeNull();
    const after = await scrapeMetrics(team.server.url);
    const rss = (values: Map<string, number>) => values.get('process_resident_memory_bytes')!;
    console.log(`300,000 empty presence client ids: server RSS ${mib(rss(before))} → ${mib(rss(after))} MiB`);
    // The issue measured 390 MiB kept for 100,000; here nothing is kept (this bound leaves room for GC slack).
    expect(rss(after) - rss(before)).toBeLessThan(96 * 1024 * 1024);
    // A newcomer is told about Ann and Bob only.
    const newcomer = await rawSocket(team.server.wsUrl, room, team.ann.token);
    await wait(200);
    expect(newcomer.received.reduce((sum, message) => sum + (message[0] === 1 ? message.length : 0), 0)).toBeLessThan(1_000);
    newcomer.socket.close();

    const five = new Map<number, unknown>(Array.from({ length: 5 }, (_, index) => [2_000_000 + index, { user: { name: 'M' } }]));
    mallory.send(awarenessMessage(five));
    expect(await mallory.closed).toMatchObject({ code: 1008, reason: expect.stringMatching(/at most 4 client ids per connection/) });
    await stillLive(colleagues, 'after five ids');
    expect([...colleagues.ann.provider.awareness.getStates().keys()].filter((client) => five.has(client))).toEqual([]);
    expect(colleagues.closes).toEqual([]);
  });

  it('closes a connection that floods presence messages (1008) after a burst the others hardly notice', async () => {
    const room = boardRoom(team.ann.pipelineId);
    const colleagues = await colleaguesOn(room);
    const mallory = await rawSocket(team.server.wsUrl, room, team.bob.token);
    const flooder = 3_000_000;
    let updates = 0;
    const counter = ({ added, updated }: { added: number[]; updated: number[] }) => {
      if ([...added, ...updated].includes(flooder)) updates++;
    };
    colleagues.ann.provider.awareness.on('update', counter);
    for (let clock = 1; clock <= 1_000; clock++) mallory.send(awarenessMessage(new Map([[flooder, { user: { name: 'M' }, n: clock }]]), clock));
    expect(await mallory.closed).toMatchObject({ code: 1008, reason: expect.stringMatching(/more than 40 messages per second/) });
    await stillLive(colleagues, 'after the flood');
    colleagues.ann.provider.awareness.off('update', counter);
    // Of 1,000 only the burst reached Ann: 80 messages, plus what the rate (40/s) refilled while they arrived.
    expect(updates).toBeGreaterThan(0);
    expect(updates).toBeLessThanOrEqual(150);
    expect(colleagues.closes).toEqual([]);
  });
});
