import { Worker } from 'node:worker_threads';
import type { FoldInput, FoldOutput } from './fold.ts';

/**
 * Folds of large rooms run on a thread of their own (fold-worker.ts), started when one is needed and stopped once
 * idle, so an idle server holds no extra thread. From the build, the worker is dist/server/fold-worker.js beside
 * main.js; from the TypeScript sources (tests, `npm run start:ts`) it loads through tsx, which costs that thread a
 * second or two once.
 */
const IDLE_MS = 15_000;

interface Pending {
  resolve: (output: FoldOutput) => void;
  reject: (error: Error) => void;
}

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, Pending>();
let idleTimer: NodeJS.Timeout | null = null;

function start(): Worker {
  const fromBuild = import.meta.url.endsWith('.js');
  // Node 20 does not apply `--import tsx` given in a worker's execArgv, so the sources' thread registers tsx itself.
  const source = JSON.stringify(new URL('./fold-worker.ts', import.meta.url).href);
  const thread = fromBuild
    ? new Worker(new URL('./fold-worker.js', import.meta.url))
    : new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${source}); })`, { eval: true });
  thread.unref();
  thread.on('message', (message: { id: number; output?: FoldOutput; error?: string }) => {
    const call = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) call?.reject(new Error(message.error));
    else call?.resolve(message.output!);
    if (!pending.size) stopWhenIdle();
  });
  const fail = (error: Error) => {
    if (worker === thread) worker = null;
    for (const call of pending.values()) call.reject(error);
    pending.clear();
  };
  thread.on('error', fail);
  thread.on('exit', (code) => fail(new Error(`the fold thread exited (code ${code})`)));
  return thread;
}

function stopWhenIdle(): void {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    idleTimer = null;
    if (pending.size || !worker) return;
    const thread = worker;
    worker = null;
    void thread.terminate();
  }, IDLE_MS);
  idleTimer.unref();
}

/** `foldRows(input)` on the fold thread. */
export function foldOnThread(input: FoldInput): Promise<FoldOutput> {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  worker ??= start();
  const id = nextId++;
  return new Promise<FoldOutput>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker!.postMessage({ id, input });
  });
}
