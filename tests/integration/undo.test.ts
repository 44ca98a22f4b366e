import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { moveDeal, readColumn, readStages } from '../../shared/board-doc.ts';
import { BoardUndo } from '../../shared/board-undo.ts';
import { boardRoom } from '../../shared/rooms.ts';
import { storageKinds } from '../support/server-process.ts';
import { teamSuite } from '../support/team-suite.ts';
import { connectClient, eventually, type Account } from '../support/clients.ts';

/** The stage a deal's map holds, read raw: no reader fallback hides a missing key. */
const rawStage = (doc: Y.Doc, dealId: string) => doc.getMap<Y.Map<unknown>>('deals').get(dealId)?.get('stageId');

/** Per-user undo (issue #17) with two stock clients through the real server and its storage. */
describe.each(storageKinds)('per-user undo after concurrent moves, through the server, on $label', ({ create }) => {
  const team = teamSuite(create);

  /** A stock client with its user's undo history on top, recording the close codes the server sends it. */
  const connect = (account: Account) => {
    const client = connectClient(team.server.wsUrl, boardRoom(team.ann.pipelineId), { token: account.token });
    team.clients.push(client);
    const closes: number[] = [];
    client.provider.on('connection-close', (event: CloseEvent | null) => event && closes.push(event.code));
    const origin = Symbol(account.userId);
    const history = new BoardUndo(client.doc, { origin, captureTimeout: 0 });
    const move = (dealId: string, stageId: string) => history.track(dealId, () => moveDeal(client.doc, dealId, stageId, 0, { origin }));
    return { ...client, closes, history, move };
  };

  it('the rep whose move won undoes it: the deal is back in its stage for everyone, a client loading later included', async () => {
    const ann = connect(team.ann);
    const bob = connect(team.bob);
    await Promise.all([ann.synced, bob.synced]);
    const [, first, annStage, bobStage] = readStages(ann.doc).map((stage) => stage.id);
    const dealId = readColumn(ann.doc, first)[0].id;

    // Both move the deal before either has seen the other's move; Yjs picks one by client id.
    ann.provider.disconnect();
    bob.provider.disconnect();
    // disconnect() only starts closing: a move made before the socket is closed would still be sent.
    await eventually(() => expect([ann.provider.wsconnected, bob.provider.wsconnected]).toEqual([false, false]));
    ann.move(dealId, annStage);
    bob.move(dealId, bobStage);
    ann.closes.length = bob.closes.length = 0;
    ann.provider.connect();
    bob.provider.connect();
    // Wait until each has the other's move (same state), so the undo meets the colleague's concurrent write.
    const winnerStage = await eventually(() => {
      expect(Y.encodeStateVector(ann.doc)).toEqual(Y.encodeStateVector(bob.doc));
      const stage = rawStage(ann.doc, dealId);
      expect([annStage, bobStage]).toContain(stage);
      expect(rawStage(bob.doc, dealId)).toBe(stage);
      return stage;
    }, 10_000);
    const [winner, loser] = winnerStage === annStage ? [ann, bob] : [bob, ann];

    // The losing move no longer shows: there is nothing of it to undo. The winning one goes back to where it was.
    expect(loser.history.undo()).toBe(false);
    expect(winner.history.undo()).toBe(true);
    for (const client of [ann, bob]) await eventually(() => expect(rawStage(client.doc, dealId)).toBe(first));
    expect([...ann.closes, ...bob.closes]).toEqual([]);

    // What the server stored: a client connecting after a restart sees the deal in its stage too.
    await team.server.stop();
    await team.server.start();
    const late = connect(team.bob);
    await late.synced;
    expect(rawStage(late.doc, dealId)).toBe(first);
    expect(readColumn(late.doc, first).map((deal) => deal.id)).toContain(dealId);
  });
});
