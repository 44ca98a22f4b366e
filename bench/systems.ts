/**
 * The systems `npm run bench` compares, each started on loopback as its own process: Lanes (PGlite, and Postgres
 * when DATABASE_URL is set) through tests/support/server-process.ts, the y-websocket 2.1.0 reference server and
 * Hocuspocus (both memory only). Their CPU time and memory are read from /proc, so no system reports on itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { api, signUp, type Account } from '../tests/support/clients.ts';
import { freePort, ServerProcess, type Storage } from '../tests/support/server-process.ts';
import { boardRoom } from '../shared/rooms.ts';
import { DEFAULT_STAGES } from '../shared/sample-pipeline.ts';

const ROOT = resolve(import.meta.dirname, '..');

/** Which stock client speaks to a system: y-websocket's WebsocketProvider, or Hocuspocus' own provider. */
export type Protocol = 'y-websocket' | 'hocuspocus';

export interface System {
  label: string;
  protocol: Protocol;
  /** Stores every update before it is lost to a crash (Lanes); the peers run memory only. */
  durable: boolean;
  /** The WebSocket URL a stock client is given (y-websocket appends `/<room>`; Hocuspocus sends the room in-band). */
  wsUrl: string;
  pid: number;
  /** An API token, for systems that authenticate. */
  token?: string;
  /** `count` fresh rooms for this system: Lanes creates pipelines (boards), the peers just name them. */
  rooms(count: number): Promise<string[]>;
  /** Stop the process; a durable system can be started again from its storage. */
  stop(): Promise<void>;
  /** Stop and start again on the same storage (Lanes only: the peers would come back empty). */
  restart?(): Promise<void>;
}

/** CPU time (user + system) the process has used, in milliseconds, from /proc/<pid>/stat. */
export function cpuMillis(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces or parentheses: the fields after the last ')' are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

/** Resident memory of the process in bytes, from /proc/<pid>/status. */
export function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** What the bench runs of Lanes: the compiled server `npm start` runs (LANES_SERVER=ts: the sources under tsx). */
const compiled = process.env.LANES_SERVER !== 'ts';

/** Lanes on its storage, signed up as one admin whose token every bench client uses. */
export async function startLanes(storage: Storage, nodeArgs: string[] = []): Promise<System & { account: Account; server: ServerProcess; url: string }> {
  if (compiled && !existsSync(new URL('../dist/server/main.js', import.meta.url))) {
    throw new Error('no compiled server: run `npm run build` first (or LANES_SERVER=ts to bench the TypeScript sources)');
  }
  // The bench creates hundreds of boards for one account: the anti-abuse limits are not what is measured.
  const server = await ServerProcess.start(storage, { CREATE_RATE_LIMIT: '100000', SIGNUP_RATE_LIMIT: '100000', MAIL_RATE_LIMIT: '100000' }, { nodeArgs, compiled });
  const account = await signUp(server.url, 'Bench');
  let pipelines = 0;
  const system = {
    label: `Lanes (${storage.label})`,
    protocol: 'y-websocket' as const,
    durable: true,
    wsUrl: server.wsUrl,
    url: server.url,
    pid: server.pid!,
    token: account.token,
    account,
    server,
    async rooms(count: number) {
      const names: string[] = [];
      for (let i = 0; i < count; i++) {
        const created = await api(server.url, `/api/workspaces/${account.workspaceId}/pipelines`, {
          method: 'POST',
          body: { name: `Bench ${++pipelines}`, stages: DEFAULT_STAGES },
          cookie: account.cookie
        });
        if (created.status !== 201) throw new Error(`creating a pipeline failed: ${created.status} ${JSON.stringify(created.json)}`);
        names.push(boardRoom(created.json.id));
      }
      return names;
    },
    stop: async () => void (await server.stop()),
    async restart() {
      await server.stop();
      await server.start();
      system.pid = server.pid!;
    }
  };
  return system;
}

/** A peer server script under bench/servers, run by plain Node (no TypeScript loader): it prints `listening <port>`. */
async function startPeer(label: string, script: string, protocol: Protocol, path: string): Promise<System> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'bench/servers', script)], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let output = '';
  await new Promise<void>((ready, fail) => {
    const timeout = setTimeout(() => fail(new Error(`${label} did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening')) {
        clearTimeout(timeout);
        ready();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timeout);
      fail(new Error(`${label} exited with ${code}:\n${output}`));
    });
  });
  let roomCounter = 0;
  return {
    label,
    protocol,
    durable: false,
    wsUrl: `ws://127.0.0.1:${port}${path}`,
    pid: child.pid!,
    rooms: async (count) => Array.from({ length: count }, () => `bench-room-${++roomCounter}`),
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      })
  };
}

export const REFERENCE_LABEL = 'y-websocket 2.1';
export const HOCUSPOCUS_LABEL = 'Hocuspocus 3.4';

export function startReference(): Promise<System> {
  return startPeer(REFERENCE_LABEL, 'y-websocket-ref.cjs', 'y-websocket', '');
}

export function startHocuspocus(): Promise<System> {
  return startPeer(HOCUSPOCUS_LABEL, 'hocuspocus.mjs', 'hocuspocus', '');
}
