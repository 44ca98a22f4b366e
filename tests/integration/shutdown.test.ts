import { describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { createApp } from '../../server/app.ts';
import { openDb } from '../../server/store/db.ts';
import { silentLog } from '../../server/log.ts';
import { addDeal, readDeals, readStages } from '../../shared/board-doc.ts';
import { boardRoom } from '../../shared/rooms.ts';
import { storageKinds } from '../support/server-process.ts';
import { teamSuite } from '../support/team-suite.ts';
import { connectClient, eventually, type Account } from '../support/clients.ts';

const EDITS_PER_CLIENT = 150;
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * On Postgres, hold the update log locked against INSERTs from another session, so the burst is certainly still
 * pending when SIGTERM arrives; `release` lets the server's writes through. PGlite has no second session: no-op.
 */
async function holdUpdateLog(databaseUrl: string | undefined): Promise<{ release(): Promise<void> }> {
  if (!databaseUrl) return { release: async () => {} };
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const transaction = sql.begin(async (tx) => {
    await tx.unsafe('LOCK TABLE doc_updates IN EXCLUSIVE MODE');
    locked();
    await released;
  });
  await isLocked;
  return {
    release: async () => {
      release();
      await transaction;
      await sql.end();
    }
  };
}

describe.each(storageKinds)('graceful shutdown on $label', ({ label, create }) => {
  const team = teamSuite(create);

  const connect = (account: Account) => {
    const client = connectClient(team.server.wsUrl, boardRoom(team.ann.pipelineId), { token: account.token });
    const closes: number[] = [];
    client.provider.on('connection-close', (event: CloseEvent | null) => {
      if (event) closes.push(event.code);
    });
    team.clients.push(client);
    return { ...client, closes };
  };
  const burstTitles = (doc: Parameters<typeof readDeals>[0]) => readDeals(doc).map((deal) => deal.title).filter((title) => title.startsWith('Burst '));

  it('SIGTERM right after a burst of edits: sockets close with 1001, exit 0, every edit is there after restart', async () => {
    const annBoard = connect(team.ann);
    const bobBoard = connect(team.bob);
    await Promise.all([annBoard.synced, bobBoard.synced]);
    const stage = readStages(annBoard.doc)[0].id;
    const hold = await holdUpdateLog(team.storage.env.DATABASE_URL);
    for (let i = 0; i < EDITS_PER_CLIENT; i++) {
      addDeal(annBoard.doc, stage, { title: `Burst ann ${i}` });
      addDeal(bobBoard.doc, stage, { title: `Burst bob ${i}` });
    }
    // Each side seeing the other's edits means the server accepted them all; they may not be stored yet.
    await eventually(() => {
      expect(burstTitles(annBoard.doc)).toHaveLength(2 * EDITS_PER_CLIENT);
      expect(burstTitles(bobBoard.doc)).toHaveLength(2 * EDITS_PER_CLIENT);
    }, 20_000);

    const stopped = team.server.stop('SIGTERM');
    await wait(500);
    await hold.release();
    const exitCode = await stopped;
    const pendingAtSigterm = Number(/"message":"shutting down[^\n]*"pending":(\d+)/.exec(team.server.output)?.[1]);
    expect(exitCode).toBe(0);
    expect(team.server.output).toContain('shut down: every update is stored');
    await eventually(() => {
      expect(annBoard.closes[0]).toBe(1001);
      expect(bobBoard.closes[0]).toBe(1001);
    });
    // Drop the editors before the restart, so they cannot push their copies back: only what the server stored counts.
    annBoard.destroy();
    bobBoard.destroy();

    await team.server.start();
    const fresh = connect(team.ann);
    await fresh.synced;
    const found = burstTitles(fresh.doc);
    console.log(
      `[shutdown ${label}] edits made: ${2 * EDITS_PER_CLIENT}, pending when SIGTERM arrived: ${pendingAtSigterm}, ` +
        `close codes: ann ${annBoard.closes[0]} bob ${bobBoard.closes[0]}, found after restart: ${found.length} (${new Set(found).size} distinct)`
    );
    expect(new Set(found).size).toBe(2 * EDITS_PER_CLIENT);
    expect(found).toHaveLength(2 * EDITS_PER_CLIENT);
  });
});

describe('the app at shutdown', () => {
  it('refuses new sockets and reports unready while shutting down', async () => {
    // Checked on the app itself: once shutdown starts the listener is closed, so nothing new can reach the process.
    const db = await openDb({ dataDir: 'memory://' });
    const { app, stopAccepting } = createApp({ db, log: silentLog, clock: Date.now });
    stopAccepting();
    expect((await app.request('/ws/board:anything')).status).toBe(503);
    const ready = await app.request('/readyz');
    expect(ready.status).toBe(503);
    expect((await ready.json()).reasons).toContain('shutting down');
    await db.close();
  });
});
