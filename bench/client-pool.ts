/**
 * Stock clients spread over a few child processes (bench/client-process.ts), so the clients' own work runs
 * neither in the server's process nor in the one that measures.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { ClientCommand, ClientReport } from './client-process.ts';
import type { Endpoint } from './stock-client.ts';

const SCRIPT = resolve(import.meta.dirname, 'client-process.ts');

export class ClientPool {
  private constructor(private readonly children: ChildProcess[]) {}

  static spawn(processes: number): ClientPool {
    const children = Array.from({ length: processes }, () =>
      fork(SCRIPT, [], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    );
    return new ClientPool(children);
  }

  private request(child: ChildProcess, command: ClientCommand): Promise<ClientReport> {
    return new Promise((resolve, reject) => {
      const onMessage = (report: ClientReport) => {
        if (report.type === 'seen') return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (report.type === 'error') reject(new Error(`client process: ${report.message}`));
        else resolve(report);
      };
      const onExit = (code: number) => reject(new Error(`client process exited with ${code}`));
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(command);
    });
  }

  /**
   * Open `count` clients over `rooms`, split evenly between the processes (each room held by one process, so `seed`,
   * when given, is brought in by the first client of each room only). Answers how many synced within `timeoutMs`.
   */
  async open(endpoint: Endpoint, rooms: readonly string[], count: number, options: { seed?: Uint8Array; concurrency?: number; timeoutMs?: number } = {}): Promise<number> {
    const k = this.children.length;
    const reports = await Promise.all(
      this.children.map((child, i) => {
        const own = rooms.length >= k ? rooms.filter((_room, j) => j % k === i) : [...rooms];
        const share = Math.floor(count / k) + (i < count % k ? 1 : 0);
        if (share === 0) return Promise.resolve(null);
        return this.request(child, { type: 'open', endpoint, rooms: own, count: share, seed: options.seed, concurrency: options.concurrency, timeoutMs: options.timeoutMs });
      })
    );
    // How many of the clients opened now synced (within timeoutMs).
    return reports.reduce((sum, report) => sum + (report?.type === 'opened' ? report.held : 0), 0);
  }

  /** Watch the deals' values: `onSeen(deal index, value, at)` once a value reached every client of one process. */
  watch(dealIds: string[], onSeen: (dealIndex: number, value: number, at: number, process: number) => void): () => void {
    const listeners = this.children.map((child, i) => {
      const listener = (report: ClientReport) => {
        if (report.type === 'seen') for (const [deal, value, at] of report.arrivals) onSeen(deal, value, at, i);
      };
      child.on('message', listener);
      child.send({ type: 'watch', dealIds } satisfies ClientCommand);
      return () => child.off('message', listener);
    });
    return () => listeners.forEach((stop) => stop());
  }

  get size(): number {
    return this.children.length;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.send({ type: 'close' } satisfies ClientCommand);
            setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
          })
      )
    );
  }
}
