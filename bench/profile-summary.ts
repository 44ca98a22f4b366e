/**
 * `node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]`: the functions with the most self time in a
 * V8 CPU profile (as written by `node --cpu-prof`, e.g. the server during `BENCH_PROFILE_DIR=… npm run bench`), and
 * the share of busy time (idle and GC shown apart) per package or source folder.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const [file, topArgument] = process.argv.slice(2);
if (!file) {
  console.error('usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMicros = new Map<number, number>();
profile.samples.forEach((id, index) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));

const where = (url: string) => {
  const path = url.replace(/^file:\/\//, '');
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (module) return module[1];
  const own = /\/(server|shared|web)\/(.*)$/.exec(path);
  if (own) return `${own[1]}/${own[2].split('/')[0]}`;
  return path ? (path.startsWith('node:') ? 'node internals' : path) : '(native)';
};
const functions = new Map<string, number>();
const places = new Map<string, number>();
let total = 0;
let idle = 0;
for (const [id, micros] of selfMicros) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  total += micros;
  if (functionName === '(idle)') {
    idle += micros;
    continue;
  }
  const name = `${functionName || '(anonymous)'} ${url ? `${where(url)}:${lineNumber + 1}` : ''}`.trim();
  functions.set(name, (functions.get(name) ?? 0) + micros);
  const place = url ? where(url) : functionName;
  places.set(place, (places.get(place) ?? 0) + micros);
}
const busy = total - idle;
const top = Number(topArgument ?? 25);
const percent = (micros: number) => `${((micros / busy) * 100).toFixed(1)} %`;
console.log(`profile: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (${((busy / total) * 100).toFixed(0)} %)\n`);
console.log('| self time | share of busy | function |\n| --- | --- | --- |');
for (const [name, micros] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`| ${(micros / 1000).toFixed(0)} ms | ${percent(micros)} | ${name} |`);
console.log('\n| self time | share of busy | package or folder |\n| --- | --- | --- |');
for (const [name, micros] of [...places].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`| ${(micros / 1000).toFixed(0)} ms | ${percent(micros)} | ${name} |`);
