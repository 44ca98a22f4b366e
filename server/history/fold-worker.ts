import { parentPort } from 'node:worker_threads';
import { CarriedFolds, type FoldInput } from './fold.ts';

/**
 * The thread fold-thread.ts starts: folds one room at a time, answered by request id, each from where the previous
 * fold of that room ended when it can (CarriedFolds).
 */
const port = parentPort!;
const folds = new CarriedFolds();
port.on('message', ({ id, input }: { id: number; input: FoldInput }) => {
  try {
    const folded = folds.fold(input);
    // Own copies (a small Buffer may sit in Node's shared pool), so each moves to the main thread without a copy there.
    const own = (bytes: Uint8Array) => new Uint8Array(bytes);
    const output = {
      ...folded,
      snapshot: own(folded.snapshot),
      firstCheckpoint: folded.firstCheckpoint && own(folded.firstCheckpoint),
      checkpoints: folded.checkpoints.map((checkpoint) => ({ ...checkpoint, stored: own(checkpoint.stored) }))
    };
    const buffers = [output.snapshot, output.firstCheckpoint, ...output.checkpoints.map((checkpoint) => checkpoint.stored)];
    port.postMessage({ id, output }, buffers.filter((bytes) => bytes !== null).map((bytes) => bytes.buffer));
  } catch (error) {
    port.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
