import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addDeal, readDeals, readStages } from '../../../shared/board-doc.ts';
import { boardRoom } from '../../../shared/rooms.ts';
import { encodeDocUpdate } from '../../../server/sync/protocol.ts';
import { deleteRanges, everyOther, orphanUpdate } from '../../support/attacks.ts';
import { connectClient, eventually, signUp } from '../../support/clients.ts';
import { scrapeMetrics } from '../../support/metrics.ts';
import { mib, rawSocket } from '../../support/raw-socket.ts';
import { storageKinds } from '../../support/server-process.ts';
import { teamSuite } from '../../support/team-suite.ts';

const titles = (doc: Y.Doc) => readDeals(doc).map((deal) => deal.title);

/**
 * Issue #15 item 4: updates whose dependencies never arrive stayed pending in memory, unstored, and were re-merged by
 * every later update, slowing every workspace. Now the sender is closed once more than MAX_PENDING_BYTES (32 KiB)
 * waits, and what waited is dropped.
 */
describe.each(storageKinds)('updates with missing dependencies on $label', ({ create }) => {
  const team = teamSuite(create, { ROOM_UNLOAD_MS: '200' });

  it('close their sender (1008) and leave nothing pending, while this board and another workspace carry on', async () => {
    const room = boardRoom(team.ann.pipelineId);
    const ann = connectClient(team.server.wsUrl, room, { token: team.ann.token });
    const bob = connectClient(team.server.wsUrl, room, { token: team.bob.token });
    const zed = await signUp(team.server.url, 'Zed');
    const elsewhere = connectClient(team.server.wsUrl, boardRoom(zed.pipelineId), { token: zed.token });
    const elsewhereToo = connectClient(team.server.wsUrl, boardRoom(zed.pipelineId), { token: zed.token });
    team.clients.push(ann, bob, elsewhere, elsewhereToo);
    const closes: number[] = [];
    for (const client of [ann, bob, elsewhere, elsewhereToo]) client.provider.on('connection-close', (event: CloseEvent | null) => event && closes.push(event.code));
    await Promise.all([ann.synced, bob.synced, elsewhere.synced, elsewhereToo.synced]);
    const before = await scrapeMetrics(team.server.url);

    // The attack, a quarter of it: 30 messages of 900 KiB whose left origin nobody has, each on a new socket
    // (the server closes the first), then deletes of items nobody has.
    const refusals: string[] = [];
    for (let message = 0; message < 30; message++) {
      const mallory = await rawSocket(team.server.wsUrl, room, team.bob.token);
      mallory.send(encodeDocUpdate(orphanUpdate(ann.doc, `${message}`.padEnd(900 * 1024, '~'))));
      const { code, reason } = await mallory.closed;
      expect(code).toBe(1008);
      refusals.push(reason);
    }
    const deletes = await rawSocket(team.server.wsUrl, room, team.bob.token);
    deletes.send(encodeDocUpdate(deleteRanges(987_654, everyOther(0, 40_000))));
    expect((await deletes.closed).code).toBe(1008);
    expect(refusals.every((reason) => /depends on changes the server does not have/.test(reason))).toBe(true);

    // Meanwhile and afterwards, both workspaces edit as usual.
    const started = Date.now();
    addDeal(elsewhere.doc, readStages(elsewhere.doc)[0].id, { title: 'Edited in another workspace', value: 1, currency: 'EUR' });
    await eventually(() => expect(titles(elsewhereToo.doc)).toContain('Edited in another workspace'));
    const elsewhereMs = Date.now() - started;
    addDeal(ann.doc, readStages(ann.doc)[0].id, { title: 'After the orphans', value: 1, currency: 'EUR' });
    await eventually(() => expect(titles(bob.doc)).toContain('After the orphans'));
    expect((await fetch(`${team.server.url}/healthz`)).status).toBe(200);
    expect(closes).toEqual([]);

    // The server holds nothing pending: a newcomer's sync (which carries the server's pending updates too) has none.
    const newcomer = connectClient(team.server.wsUrl, room, { token: team.ann.token });
    team.clients.push(newcomer);
    await newcomer.synced;
    expect(newcomer.doc.store.pendingStructs).toBeNull();
    expect(newcomer.doc.store.pendingDs).toBeNull();
    expect(titles(newcomer.doc)).toContain('After the orphans');

    const after = await scrapeMetrics(team.server.url);
    const rss = (values: Map<string, number>) => values.get('process_resident_memory_bytes')!;
    console.log(
      `30 × 900 KiB updates with missing dependencies: all refused; an edit in another workspace arrived in ${elsewhereMs} ms; ` +
        `server RSS ${mib(rss(before))} → ${mib(rss(after))} MiB`
    );
    expect(after.get('lanes_messages_rejected_total{code="1008"}')! - (before.get('lanes_messages_rejected_total{code="1008"}') ?? 0)).toBe(31);
  });
});
