// @ts-check
import { PGlite } from '@electric-sql/pglite';

/**
 * PGlite's backend command line with Lanes' Postgres settings (`-c name=value`) on top of its defaults: the same for a
 * new folder's initdb (pglite-init.js) and for the worker that serves it (pglite-worker.js).
 * @param {Record<string, string>} settings
 * @returns {string[]}
 */
export function startParamsOf(settings) {
  return [...PGlite.defaultStartParams, ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
}
