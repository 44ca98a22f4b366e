import WebSocket from 'ws';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import { MESSAGE_AWARENESS } from '../../server/sync/protocol.ts';
import type { ServerProcess } from './server-process.ts';

export const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A raw `ws` socket on a room, authenticated like a script; it records what the server sends and how it closes. */
export async function rawSocket(wsUrl: string, room: string, token: string) {
  const socket = new WebSocket(`${wsUrl}/${room}`, { headers: { authorization: `Bearer ${token}` } });
  const received: Uint8Array[] = [];
  socket.on('message', (data: Buffer) => received.push(new Uint8Array(data)));
  socket.on('error', () => undefined);
  let closedWith: { code: number; reason: string } | null = null;
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve((closedWith = { code, reason: reason.toString() })))
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused: ${response.statusCode}`)));
  });
  return {
    socket,
    received,
    closed,
    get closedWith() {
      return closedWith;
    },
    /** Send unless the server has closed the socket already. */
    send: (message: Uint8Array) => {
      if (socket.readyState === WebSocket.OPEN) socket.send(message);
    }
  };
}

/** One awareness message announcing `states` (client id → state, null: removed), each with `clock`, via y-protocols. */
export function awarenessMessage(states: ReadonlyMap<number, unknown>, clock = 1): Uint8Array {
  const source = new Awareness(new Y.Doc());
  source.states.clear();
  for (const [client, state] of states) {
    if (state !== null) source.states.set(client, state as Record<string, unknown>);
    source.meta.set(client, { clock, lastUpdated: 0 });
  }
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
  encoding.writeVarUint8Array(encoder, encodeAwarenessUpdate(source, [...states.keys()]));
  source.destroy();
  return encoding.toUint8Array(encoder);
}

/** The server's structured log lines (JSON) written after `from` characters of output. */
export function logLinesSince(server: ServerProcess, from: number): Array<Record<string, unknown>> {
  return server.output
    .slice(from)
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
