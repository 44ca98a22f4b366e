import { describe, expect, it } from 'vitest';
import { addDeal, dealNotes, readStages } from '../../../shared/board-doc.ts';
import { boardRoom } from '../../../shared/rooms.ts';
import { connectClient, eventually } from '../../support/clients.ts';
import { logLinesSince } from '../../support/raw-socket.ts';
import { storageKinds } from '../../support/server-process.ts';
import { teamSuite } from '../../support/team-suite.ts';

const MAX_SEND_BUFFER_BYTES = 262_144;

/**
 * Issue #15 item 5: a board larger than MAX_SEND_BUFFER_BYTES could not be opened, because its first sync reply
 * (the whole doc) was taken for the backlog of a client that stopped reading. Here the doc is 8 times the bound.
 */
describe.each(storageKinds)('the first sync of a board larger than MAX_SEND_BUFFER_BYTES on $label', ({ create }) => {
  const team = teamSuite(create, { MAX_SEND_BUFFER_BYTES: String(MAX_SEND_BUFFER_BYTES) });

  it('reaches a newcomer whole, and the newcomer stays connected and live', async () => {
    const room = boardRoom(team.ann.pipelineId);
    const writer = connectClient(team.server.wsUrl, room, { token: team.ann.token });
    team.clients.push(writer);
    await writer.synced;
    const dealId = addDeal(writer.doc, readStages(writer.doc)[0].id, { title: 'Long notes', value: 1, currency: 'EUR' });
    const chunk = 40_000;
    const chunks = Math.ceil((8 * MAX_SEND_BUFFER_BYTES) / chunk);
    for (let index = 0; index < chunks; index++) {
      dealNotes(writer.doc, dealId)!.insert(0, `${index}`.padEnd(chunk, '.'));
      // Let the server read as it goes, like a person pasting.
      if (index % 5 === 4) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const checker = connectClient(team.server.wsUrl, room, { token: team.ann.token });
    team.clients.push(checker);
    await checker.synced;
    await eventually(() => expect(dealNotes(checker.doc, dealId)?.length).toBe(chunks * chunk), 30_000);
    checker.destroy();

    const logFrom = team.server.output.length;
    const closes: number[] = [];
    const newcomer = connectClient(team.server.wsUrl, room, { token: team.bob.token });
    team.clients.push(newcomer);
    newcomer.provider.on('connection-close', (event: CloseEvent | null) => event && closes.push(event.code));
    await newcomer.synced;
    expect(dealNotes(newcomer.doc, dealId)!.length).toBe(chunks * chunk);
    dealNotes(writer.doc, dealId)!.insert(0, 'live after the first sync ');
    await eventually(() => expect(dealNotes(newcomer.doc, dealId)!.toString()).toMatch(/^live after the first sync /));
    expect(closes).toEqual([]);
    expect(logLinesSince(team.server, logFrom).filter((line) => line.message === 'dropping a client that stopped reading')).toEqual([]);
  });
});
