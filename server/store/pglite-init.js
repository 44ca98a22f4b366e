// @ts-check
/**
 * A new PGlite folder's first start (initdb), in a process of its own: `node pglite-init.js <dataDir> <settings as
 * JSON>`, run by openPglite in db.ts. initdb in WebAssembly grows several hundred MB. Run in a thread of the server,
 * it left its malloc arena behind, and the long-lived PGlite worker reused that arena with ~28 MB of free pages still
 * resident (README: Memory); a process that exits gives everything back.
 *
 * Plain JavaScript, like pglite-worker.js, so it starts without a TypeScript compiler from the sources and the build.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { startParamsOf } from './pglite-start.js';

const [dataDir, settingsJson] = process.argv.slice(2);
if (!dataDir || !settingsJson) throw new Error('usage: node pglite-init.js <dataDir> <settings as JSON>');
const settings = /** @type {Record<string, string>} */ (JSON.parse(settingsJson));
const startParams = startParamsOf(settings);
mkdirSync(dataDir, { recursive: true });
const lite = await PGlite.create(dataDir, { startParams });
await lite.close();
