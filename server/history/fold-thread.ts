import { OnDemandThread } from '../on-demand-thread.ts';
import type { FoldInput, FoldOutput } from './fold.ts';

/**
 * Folds of large rooms run on a thread of their own (fold-worker.ts), started when one is needed and stopped once
 * idle, so an idle server holds no extra thread. From the build, the worker is dist/server/fold-worker.js beside
 * main.js; from the TypeScript sources it is fold-worker.ts.
 */
const thread = new OnDemandThread<FoldInput, FoldOutput>({
  name: 'fold',
  script: new URL(import.meta.url.endsWith('.js') ? './fold-worker.js' : './fold-worker.ts', import.meta.url),
  idleMs: 15_000
});

/** `foldRows(input)` on the fold thread. */
export function foldOnThread(input: FoldInput): Promise<FoldOutput> {
  return thread.run(input);
}
