import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { addDeal, readDeals, readStages } from '../../shared/board-doc.ts';
import { boardRoom } from '../../shared/rooms.ts';
import { storageKinds } from '../support/server-process.ts';
import { teamSuite } from '../support/team-suite.ts';
import { connectClient, eventually } from '../support/clients.ts';
import { scrapeMetrics } from '../support/metrics.ts';

/** Opens a raw socket to `room`, sends `payload` and resolves with the close code the server sent. */
function closeCodeAfterSending(wsUrl: string, room: string, token: string, payload: string | Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${wsUrl}/${room}`, { headers: { authorization: `Bearer ${token}` } });
    socket.once('open', () => socket.send(payload));
    socket.once('close', (code) => resolve(code));
    socket.once('error', () => undefined);
    setTimeout(() => reject(new Error('the server did not close the socket')), 5_000);
  });
}

describe.each(storageKinds)('/metrics on $label', ({ create }) => {
  const team = teamSuite(create, { ROOM_UNLOAD_MS: '200', MAX_MESSAGE_BYTES: '65536' });

  it('is Prometheus text without authentication, with the process metrics', async () => {
    const response = await fetch(`${team.server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('# TYPE lanes_write_seconds histogram');
    expect(text).toContain('# TYPE lanes_updates_in_total counter');
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('counts sockets, rooms, updates in and out, and stored writes', async () => {
    const before = await scrapeMetrics(team.server.url);
    const room = boardRoom(team.ann.pipelineId);
    const annBoard = connectClient(team.server.wsUrl, room, { token: team.ann.token });
    const bobBoard = connectClient(team.server.wsUrl, room, { token: team.bob.token });
    team.clients.push(annBoard, bobBoard);
    await Promise.all([annBoard.synced, bobBoard.synced]);
    for (let i = 0; i < 5; i++) addDeal(annBoard.doc, readStages(annBoard.doc)[0].id, { title: `Counted ${i}` });
    await eventually(() => expect(readDeals(bobBoard.doc).filter((deal) => deal.title.startsWith('Counted'))).toHaveLength(5));
    const after = await eventually(async () => {
      const values = await scrapeMetrics(team.server.url);
      expect(values.get('lanes_pending_writes')).toBe(0);
      return values;
    });
    expect(after.get('lanes_connections')).toBe(2);
    expect(after.get('lanes_rooms_loaded')).toBeGreaterThanOrEqual(1);
    expect(after.get('lanes_updates_in_total')! - (before.get('lanes_updates_in_total') ?? 0)).toBeGreaterThanOrEqual(5);
    // Each of Ann's updates is broadcast to Bob.
    expect(after.get('lanes_updates_out_total')! - (before.get('lanes_updates_out_total') ?? 0)).toBeGreaterThanOrEqual(5);
    // The same as rates over the last 10 s: at least 5 updates in and 5 out → at least 0.5/s each.
    expect(after.get('lanes_updates_in_per_second')).toBeGreaterThanOrEqual(0.5);
    expect(after.get('lanes_updates_out_per_second')).toBeGreaterThanOrEqual(0.5);
    expect(after.get('lanes_write_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(after.get('lanes_write_failures_total')).toBe(0);
  });

  it('counts refused messages by close code: text frame, bad message, too large', async () => {
    const room = boardRoom(team.ann.pipelineId);
    expect(await closeCodeAfterSending(team.server.wsUrl, room, team.ann.token, 'hello')).toBe(1003);
    expect(await closeCodeAfterSending(team.server.wsUrl, room, team.ann.token, Buffer.from([0, 9, 9, 9]))).toBe(1007);
    expect(await closeCodeAfterSending(team.server.wsUrl, room, team.ann.token, Buffer.alloc(100_000))).toBe(1009);
    await eventually(async () => {
      const values = await scrapeMetrics(team.server.url);
      expect(values.get('lanes_messages_rejected_total{code="1003"}')).toBe(1);
      expect(values.get('lanes_messages_rejected_total{code="1007"}')).toBe(1);
      expect(values.get('lanes_messages_rejected_total{code="1009"}')).toBe(1);
    });
  });
});
