// @ts-check
/**
 * The thread password-strength.ts starts to score passwords with zxcvbn-ts. Its dictionaries (about 90,000 words and
 * their ranks) take ~6 MB of V8 heap and are needed only while someone signs up or changes a password: on this thread
 * they leave the process when it stops (README: Operations, Memory).
 *
 * Plain JavaScript, so it starts without a TypeScript compiler from the sources (tests) and from the build alike.
 */
import { parentPort } from 'node:worker_threads';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

const estimator = new ZxcvbnFactory({ dictionary: { ...dictionary }, graphs: adjacencyGraphs });
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);

port.on('message', (/** @type {{ id: number, input: { password: string, userInputs: string[] } }} */ { id, input }) => {
  try {
    port.postMessage({ id, output: estimator.check(input.password, input.userInputs).score });
  } catch (error) {
    port.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
