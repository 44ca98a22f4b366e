import { Worker } from 'node:worker_threads';

/**
 * A worker thread for work an idle server should not pay for: started by the first call, stopped once it has had
 * nothing to do for `idleMs`, so its code, data and V8 heap leave the process' memory with it. Calls are answered by
 * request id; the worker script answers `{ id, input }` with `{ id, output }` or `{ id, error }`.
 *
 * A `.js` script starts as it is; a `.ts` one (the TypeScript sources under tests or `npm run start:ts`) loads
 * through tsx, which costs that thread a second or two once. Node 20 ignores `--import tsx` in a worker's execArgv,
 * so the thread registers tsx itself.
 */
export class OnDemandThread<Input, Output> {
  private worker: Worker | null = null;
  private nextId = 1;
  /** Calls in flight, each with the thread it was sent to: a stopping thread's exit fails only its own calls. */
  private readonly pending = new Map<number, { thread: Worker; resolve: (output: Output) => void; reject: (error: Error) => void }>();
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: {
      /** Named in the error a call gets when the thread dies. */
      name: string;
      script: URL;
      idleMs: number;
      /** Buffers of an input to move to the thread instead of copying them. */
      transfer?: (input: Input) => ArrayBuffer[];
    }
  ) {}

  run(input: Input): Promise<Output> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.worker ??= this.start();
    const id = this.nextId++;
    const worker = this.worker;
    return new Promise<Output>((resolve, reject) => {
      this.pending.set(id, { thread: worker, resolve, reject });
      worker.postMessage({ id, input }, this.options.transfer?.(input) ?? []);
    });
  }

  /** Whether the thread is running (it is not while idle). */
  get running(): boolean {
    return this.worker !== null;
  }

  private start(): Worker {
    const { script, name } = this.options;
    const thread = script.pathname.endsWith('.ts')
      ? new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(script.href)}); })`, { eval: true })
      : new Worker(script);
    thread.unref();
    thread.on('message', (message: { id: number; output?: Output; error?: string }) => {
      const call = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error !== undefined) call?.reject(new Error(message.error));
      else call?.resolve(message.output as Output);
      if (!this.pending.size) this.stopWhenIdle();
    });
    // Only this thread's calls: one made while it was being stopped went to a new thread.
    const fail = (error: Error) => {
      if (this.worker === thread) this.worker = null;
      for (const [id, call] of this.pending) {
        if (call.thread !== thread) continue;
        this.pending.delete(id);
        call.reject(error);
      }
    };
    thread.on('error', fail);
    thread.on('exit', (code) => fail(new Error(`the ${name} thread exited (code ${code})`)));
    return thread;
  }

  private stopWhenIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.pending.size || !this.worker) return;
      const thread = this.worker;
      this.worker = null;
      void thread.terminate();
    }, this.options.idleMs);
    this.idleTimer.unref();
  }
}
