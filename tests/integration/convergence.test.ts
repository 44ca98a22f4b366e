import { describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { moveDeal, readColumns, readDeal, readStages, updateDeal } from '../../shared/board-doc.ts';
import { boardRoom } from '../../shared/rooms.ts';
import { storageKinds } from '../support/server-process.ts';
import { teamSuite } from '../support/team-suite.ts';
import { connectClient, eventually, type Account } from '../support/clients.ts';

/** Where a deal shows on a board: the stage of every column that lists it (one entry when all is well). */
const placement = (doc: Y.Doc, dealId: string) =>
  [...readColumns(doc)].flatMap(([stageId, deals]) => deals.filter((deal) => deal.id === dealId).map(() => stageId));

describe.each(storageKinds)('concurrent edits of one deal on $label', ({ create }) => {
  const team = teamSuite(create);
  const connect = (account: Account) => {
    const client = connectClient(team.server.wsUrl, boardRoom(team.ann.pipelineId), { token: account.token });
    team.clients.push(client);
    return client;
  };

  it('two reps editing different fields of the same deal at the same moment both keep their edit', async () => {
    const annBoard = connect(team.ann);
    const bobBoard = connect(team.bob);
    await Promise.all([annBoard.synced, bobBoard.synced]);
    const dealId = [...readColumns(annBoard.doc).values()][1][0].id;

    // Both write before either has seen the other's update.
    updateDeal(annBoard.doc, dealId, { title: 'Renamed by Ann', expectedCloseDate: '2027-03-31' });
    updateDeal(bobBoard.doc, dealId, { value: 98_765, tags: ['priority'] });

    const expected = { title: 'Renamed by Ann', expectedCloseDate: '2027-03-31', value: 98_765, tags: ['priority'] };
    for (const board of [annBoard, bobBoard]) {
      await eventually(() => expect(readDeal(board.doc, dealId)).toMatchObject(expected));
    }

    // And it is what the server stored: a fresh client after a restart sees both edits.
    await team.server.stop();
    await team.server.start();
    const fresh = connect(team.bob);
    await fresh.synced;
    expect(readDeal(fresh.doc, dealId)).toMatchObject(expected);
  });

  it('two reps moving the same deal to different columns while disconnected end in one same column after reconnect', async () => {
    const annBoard = connect(team.ann);
    const bobBoard = connect(team.bob);
    await Promise.all([annBoard.synced, bobBoard.synced]);
    const stages = readStages(annBoard.doc);
    const dealId = readColumns(annBoard.doc).get(stages[0].id)![0].id;

    annBoard.provider.disconnect();
    bobBoard.provider.disconnect();
    moveDeal(annBoard.doc, dealId, stages[3].id, 0);
    updateDeal(annBoard.doc, dealId, { title: 'Moved offline by Ann' });
    moveDeal(bobBoard.doc, dealId, stages[5].id, 2);
    updateDeal(bobBoard.doc, dealId, { value: 4_242 });
    expect(placement(annBoard.doc, dealId)).toEqual([stages[3].id]);
    expect(placement(bobBoard.doc, dealId)).toEqual([stages[5].id]);

    annBoard.provider.connect();
    bobBoard.provider.connect();
    await eventually(() => {
      const annSees = placement(annBoard.doc, dealId);
      expect(annSees).toHaveLength(1);
      expect([stages[3].id, stages[5].id]).toContain(annSees[0]);
      expect(placement(bobBoard.doc, dealId)).toEqual(annSees);
      expect(readDeal(bobBoard.doc, dealId)).toEqual(readDeal(annBoard.doc, dealId));
    }, 10_000);
    expect(readDeal(annBoard.doc, dealId)).toMatchObject({ title: 'Moved offline by Ann', value: 4_242 });
    expect(JSON.stringify([...readColumns(annBoard.doc)])).toBe(JSON.stringify([...readColumns(bobBoard.doc)]));

    // A third client that joins afterwards sees the same single card in the same column.
    const late = connect(team.ann);
    await late.synced;
    await eventually(() => expect(placement(late.doc, dealId)).toEqual(placement(annBoard.doc, dealId)));
  });
});
