import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import postgres from 'postgres';
import { MailFolder, mailboxes, type Mailbox } from './mail.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * The environment `npm start` sets before `node dist/server/main.js` (the leading NAME=value words of its script in
 * package.json: glibc's malloc thresholds, README: Configuration), so a compiled server here runs as `npm start` does.
 */
export const START_ENV: Record<string, string> = Object.fromEntries(
  (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start as string)
    .match(/^(?:[A-Z_]+=\S+\s+)*/)![0]
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)])
);

/** Where a test server keeps its data: a fresh PGlite folder, or a fresh database on the Postgres at DATABASE_URL. */
export interface Storage {
  label: string;
  env: Record<string, string>;
  dispose(): Promise<void>;
}

export function pgliteStorage(): Storage {
  const dir = mkdtempSync(join(tmpdir(), 'lanes-test-'));
  return { label: 'PGlite', env: { DATA_DIR: dir }, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** The storages a bench measures: PGlite always, and a throwaway database on the Postgres at DATABASE_URL when set. */
export function storagesFromEnv(): Array<() => Promise<Storage>> {
  const storages: Array<() => Promise<Storage>> = [async () => pgliteStorage()];
  if (process.env.DATABASE_URL) storages.push(() => postgresStorage(process.env.DATABASE_URL!));
  else console.warn('DATABASE_URL is not set: Postgres is skipped.');
  return storages;
}

export async function postgresStorage(baseUrl: string): Promise<Storage> {
  const name = `lanes_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    label: 'Postgres',
    env: { DATABASE_URL: url.toString() },
    dispose: async () => {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  };
}

/** The storages the integration suite runs against: always PGlite, and Postgres when DATABASE_URL is set. */
export const storageKinds: Array<{ label: string; create: () => Promise<Storage> }> = [
  { label: 'PGlite', create: async () => pgliteStorage() },
  ...(process.env.DATABASE_URL ? [{ label: 'Postgres', create: () => postgresStorage(process.env.DATABASE_URL!) }] : [])
];
if (!process.env.DATABASE_URL) console.warn('DATABASE_URL is not set: integration tests run on PGlite only; the Postgres runs are skipped.');

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolvePort(port));
    });
  });
}

export interface ServerOptions {
  /** Where the server's mail is read (default: a MAIL_DIR folder of its own); pass MAIL_DIR or SMTP_URL in the env to match. */
  mailbox?: Mailbox;
  /** Extra Node flags, e.g. `--cpu-prof` for the benchmarks (not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
  /** `node dist/server/main.js` (what `npm start` runs, needs `npm run build`) instead of the TypeScript sources. */
  compiled?: boolean;
}

/** The real server, `node server/main.ts`, as a child process: it can be killed with SIGKILL like a crash. */
export class ServerProcess {
  private child: ChildProcess | null = null;
  output = '';
  /** Where this server's e-mail arrives: a MAIL_DIR folder of its own, unless the test gave SMTP_URL and its receiver. */
  readonly mailbox: Mailbox;
  private readonly ownFolder: MailFolder | null;

  constructor(
    readonly storage: Storage,
    readonly port: number,
    private readonly extraEnv: Record<string, string> = {},
    private readonly options: ServerOptions = {}
  ) {
    const { mailbox } = options;
    this.ownFolder = mailbox || extraEnv.SMTP_URL || extraEnv.MAIL_DIR ? null : MailFolder.temporary();
    this.mailbox = mailbox ?? this.ownFolder ?? new MailFolder(extraEnv.MAIL_DIR ?? '');
    mailboxes.set(this.url, this.mailbox);
  }

  /** The running server's process id (to read its memory), or null when it is not running. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  static async start(storage: Storage, extraEnv: Record<string, string> = {}, options: ServerOptions = {}): Promise<ServerProcess> {
    const server = new ServerProcess(storage, await freePort(), extraEnv, options);
    await server.start();
    return server;
  }

  async start(): Promise<void> {
    const mailEnv = this.ownFolder ? { MAIL_DIR: this.ownFolder.dir } : {};
    const env: NodeJS.ProcessEnv = {
      ...(this.options.compiled ? START_ENV : {}),
      ...process.env,
      PORT: String(this.port),
      HOST: '127.0.0.1',
      UI_DIR: join(ROOT, 'build'),
      PUBLIC_URL: this.url,
      ...mailEnv,
      ...this.storage.env,
      ...this.extraEnv
    };
    if (!this.extraEnv.SMTP_URL) delete env.SMTP_URL;
    if (!this.storage.env.DATABASE_URL) delete env.DATABASE_URL;
    // One process unless a test asks for several instances (CI exports REDIS_URL when Redis answers).
    if (!this.extraEnv.REDIS_URL) delete env.REDIS_URL;
    const entry = this.options.compiled ? [join(ROOT, 'dist/server/main.js')] : ['--import', 'tsx', join(ROOT, 'server/main.ts')];
    const child = spawn(process.execPath, [...(this.options.nodeArgs ?? []), ...entry], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    // `start` again after `kill` or `stop` restarts on the same port and storage: only this run's output counts.
    const runStartsAt = this.output.length;
    await new Promise<void>((ready, fail) => {
      // Generous: a first start initialises a new PGlite folder (initdb in WASM), tens of seconds on a loaded machine.
      const timeout = setTimeout(() => fail(new Error(`server did not start:\n${this.output}`)), 120_000);
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (this.output.indexOf('Lanes is running', runStartsAt) >= 0) {
          clearTimeout(timeout);
          ready();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timeout);
        fail(new Error(`server exited with ${code}:\n${this.output}`));
      });
    });
  }

  /** SIGKILL: no shutdown hook runs, as in a crash or a power cut. */
  async kill(): Promise<void> {
    await this.stop('SIGKILL');
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    this.child = null;
    return new Promise((done) => {
      child.once('exit', (code) => done(code));
      child.kill(signal);
    });
  }

  /** Remove this server's own mail folder (after its last stop). */
  disposeMail(): void {
    mailboxes.delete(this.url);
    this.ownFolder?.dispose();
  }

  /** A bench's end: stop, keep the output in `<logFile>.<storage label>` when asked, remove the mail folder and storage. */
  async finish(storage: Storage, logFile?: string): Promise<void> {
    await this.stop();
    if (logFile) writeFileSync(`${logFile}.${storage.label}`, this.output);
    this.disposeMail();
    await storage.dispose();
  }
}

/** Run a bench's `measure` on each storage of `storagesFromEnv`, one after the other, saying what it measures. */
export async function measureEachStorage<T>(measure: (storage: Storage) => Promise<T>, what: string): Promise<T[]> {
  const results: T[] = [];
  for (const create of storagesFromEnv()) {
    const storage = await create();
    console.log(`measuring ${storage.label}: ${what}…`);
    results.push(await measure(storage));
  }
  return results;
}
