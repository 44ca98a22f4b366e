import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { Awareness } from 'y-protocols/awareness';
import { addDeal, dealNotes, moveDeal, readDeals, readStages, updateDeal } from '../../shared/board-doc.ts';
import { boardRoom } from '../../shared/rooms.ts';
import { encodeAwareness, encodeDocUpdate, encodeSyncStep1, MESSAGE_QUERY_AWARENESS } from '../../server/sync/protocol.ts';
import { pgliteStorage, ServerProcess, type Storage } from '../support/server-process.ts';
import { api, connectClient, eventually, signUp, type Account } from '../support/clients.ts';
import { scrapeMetrics } from '../support/metrics.ts';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const TARGET_FRAMES = 100_000;
// The count is the coverage target, not a speed test: the fuzzers keep going until the server has read them all. The
// guard (well inside this test's 600 s timeout) only ends a run whose server stopped reading; the assertion then says so.
const HANG_GUARD_MS = 420_000;
const SOCKETS = 16;
const VALID_PER_BURST = 30;
const MAX_MESSAGE_BYTES = 65_536;

/** A small seeded PRNG (mulberry32), so a run can be replayed from its printed seed. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (below: number) => Math.floor(next() * below);
  return { next, int, pick: <T>(items: readonly T[]): T => items[int(items.length)] };
}
type Random = ReturnType<typeof prng>;

function randomBytes(random: Random, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = random.int(256);
  return bytes;
}

function varint(value: number): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, value);
  return encoding.toUint8Array(encoder);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const HUGE = [2 ** 31, 2 ** 32 - 1, 2 ** 40, Number.MAX_SAFE_INTEGER, 65_537, 1_000_000];

/** The mutations, each from one or two real messages: the kinds of damage a buggy or hostile client sends. */
const mutations: Record<string, (random: Random, base: Uint8Array, other: Uint8Array) => Uint8Array> = {
  bitFlips: (random, base) => {
    const out = base.slice();
    for (let n = 1 + random.int(4); n > 0; n--) out[random.int(out.length)] ^= 1 << random.int(8);
    return out;
  },
  interestingBytes: (random, base) => {
    const out = base.slice();
    for (let n = 1 + random.int(3); n > 0; n--) out[random.int(out.length)] = random.pick([0, 1, 0x7f, 0x80, 0xff, 2, 3, 4, 8, 9]);
    return out;
  },
  truncation: (random, base) => base.slice(0, random.int(base.length)),
  extension: (random, base) => concat(base, randomBytes(random, 1 + random.int(32))),
  splice: (random, base, other) => concat(base.slice(0, random.int(base.length + 1)), other.slice(random.int(other.length + 1))),
  twoMessagesInOne: (_random, base, other) => concat(base, other),
  randomVarints: (random) => {
    const parts = [varint(random.pick([0, 0, 1, 3, random.int(300)])), varint(random.int(3))];
    for (let n = random.int(40); n > 0; n--) parts.push(varint(random.next() < 0.2 ? random.pick(HUGE) : random.int(random.pick([4, 128, 70_000]))));
    return concat(...parts);
  },
  randomBytes: (random) => randomBytes(random, 1 + random.int(200)),
  hugeLengthPrefix: (random, base) => {
    // Keep the message type (and sync type), then claim a length far beyond what follows.
    const header = base[0] === 0 ? 2 : 1;
    return concat(base.slice(0, header), varint(random.pick(HUGE)), base.slice(header + 1, header + 1 + random.int(64)));
  },
  hugeVarintInside: (random, base) => {
    const at = 2 + random.int(Math.max(1, base.length - 2));
    return concat(base.slice(0, at), varint(random.pick(HUGE)), base.slice(at + 1));
  },
  repeatedRegion: (random, base) => {
    const from = random.int(base.length);
    const region = base.slice(from, from + 1 + random.int(16));
    return concat(base.slice(0, from), region, region, base.slice(from));
  }
};
const mutationNames = Object.keys(mutations);

/** How often each kind of refusal was logged, e.g. `update does not decode 300, truncated message 120`. */
function refusalReasons(output: string): string {
  const counts = new Map<string, number>();
  for (const line of output.split('\n')) {
    if (!line.includes('"closing connection: message refused"')) continue;
    const kind = String((JSON.parse(line) as { reason: string }).reason)
      .split(':')[0]
      .replace(/\d+/g, 'N');
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return [...counts].map(([kind, count]) => `${kind} ${count}`).join(', ');
}

/**
 * One fuzzing socket's corpus: the fuzz account's own Y.Doc (its own client id, starting from the board as stored)
 * and awareness, and the real sync messages they produce. Never another client's messages: a forged update under an
 * honest client's id is a client bug Yjs cannot tell from an edit. Its edits are valid board edits of its own deals,
 * since the server refuses anything that breaks the doc schema (tests/integration/schema-fuzz.test.ts).
 */
class FuzzClient {
  readonly doc = new Y.Doc();
  readonly awareness = new Awareness(this.doc);
  /** Real messages that were sent (or could be): replays of them add nothing and must be harmless. */
  readonly corpus: Uint8Array[] = [];
  private edits = 0;
  private readonly ownDeals: string[] = [];

  constructor(
    readonly random: Random,
    board: Uint8Array
  ) {
    Y.applyUpdate(this.doc, board, 'seed');
    this.doc.on('update', (update: Uint8Array, origin: unknown) => origin !== 'seed' && this.remember(encodeDocUpdate(update)));
    this.freshEdit();
    this.freshAwareness();
    this.remember(encodeSyncStep1(this.doc));
    this.remember(Uint8Array.of(MESSAGE_QUERY_AWARENESS));
  }

  remember(message: Uint8Array): void {
    if (this.corpus.length < 400) this.corpus.push(message);
    else this.corpus[this.random.int(this.corpus.length)] = message;
  }

  /** A valid edit of the fuzz account's own deals (never Ann's or Bob's), returned as the update message it makes. */
  freshEdit(): Uint8Array {
    const edit = this.edits++;
    let message: Uint8Array | null = null;
    const capture = (update: Uint8Array) => (message = encodeDocUpdate(update));
    this.doc.once('update', capture);
    const kind = this.ownDeals.length ? this.random.int(4) : 0;
    const dealId = this.ownDeals.length ? this.random.pick(this.ownDeals) : '';
    const stages = readStages(this.doc);
    if (kind === 0) this.ownDeals.push(addDeal(this.doc, stages[stages.length - 1].id, { title: `Fuzz deal ${edit}`, value: edit }));
    else if (kind === 1) updateDeal(this.doc, dealId, { value: edit });
    else if (kind === 2) dealNotes(this.doc, dealId)?.insert(0, `edit ${edit} `);
    else moveDeal(this.doc, dealId, this.random.pick(stages.slice(-2)).id, 0);
    this.doc.off('update', capture);
    return message ?? this.freshEdit();
  }

  freshAwareness(): Uint8Array {
    this.awareness.setLocalState({ user: { name: 'Fuzz', color: '#123456' }, cursor: this.random.int(1000) });
    const message = encodeAwareness(this.awareness, [this.doc.clientID]);
    this.remember(message);
    return message;
  }

  syncStep2(): Uint8Array {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, 0);
    syncProtocol.writeSyncStep2(encoder, this.doc);
    const message = encoding.toUint8Array(encoder);
    this.remember(message);
    return message;
  }

  /** A valid frame: mostly replays of real messages, some fresh edits and awareness changes. */
  validFrame(): Uint8Array {
    const roll = this.random.next();
    if (roll < 0.04) return this.freshEdit();
    if (roll < 0.06) return this.freshAwareness();
    if (roll < 0.065) return this.syncStep2();
    return this.random.pick(this.corpus);
  }

  mutatedFrame(): { name: string; frame: Uint8Array } {
    const name = this.random.pick(mutationNames);
    let frame = mutations[name](this.random, this.random.pick(this.corpus), this.random.pick(this.corpus));
    // Now and then a frame over the size limit, which ws refuses with 1009 before buffering it.
    if (this.random.next() < 0.005) frame = concat(frame, new Uint8Array(MAX_MESSAGE_BYTES));
    return { name, frame: frame.length ? frame : Uint8Array.of(0) };
  }
}

interface Figures {
  framesSent: number;
  framesAnswered: number;
  connections: number;
  closes: Map<number, number>;
  mutatedSent: Map<string, number>;
  stalls: number;
  refusedUpgrades: number;
}

/**
 * One fuzzing socket, reconnecting after each close: bursts of valid frames, then one or two mutated frames, then
 * the server's own sync step 1 as a probe. Its answer (sync step 2) means the server handled the whole burst.
 */
async function fuzzSocket(url: string, token: string, seed: number, board: Uint8Array, figures: Figures, running: () => boolean): Promise<void> {
  const client = new FuzzClient(prng(seed), board);
  while (running()) {
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, maxPayload: 64 * 1024 * 1024 });
    let probe: Uint8Array | null = null;
    let answered: (() => void) | null = null;
    let opened: (() => void) | null = null;
    socket.on('message', (data: Buffer) => {
      if (data[0] === 0 && data[1] === syncProtocol.messageYjsSyncStep1 && !probe) {
        probe = new Uint8Array(data);
        client.remember(probe);
        opened?.();
      } else if (data[0] === 0 && data[1] === syncProtocol.messageYjsSyncStep2) answered?.();
    });
    socket.on('error', () => undefined);
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.once('unexpected-response', () => {
      figures.refusedUpgrades++;
      socket.terminate();
    });
    const ready = await Promise.race([new Promise<boolean>((resolve) => (opened = () => resolve(true))), closed.then(() => false)]);
    if (!ready) {
      await wait(50);
      continue;
    }
    figures.connections++;
    // Everything this client made so far first, so its next edits never depend on one a refused burst lost.
    socket.send(client.syncStep2());
    let open = true;
    void closed.then(() => (open = false));
    while (open && running()) {
      const burst: Uint8Array[] = [];
      for (let i = 0; i < VALID_PER_BURST; i++) burst.push(client.validFrame());
      for (let n = 1 + client.random.int(2); n > 0; n--) {
        const { name, frame } = client.mutatedFrame();
        figures.mutatedSent.set(name, (figures.mutatedSent.get(name) ?? 0) + 1);
        burst.push(frame);
      }
      burst.push(probe!);
      const reply = new Promise<boolean>((resolve) => (answered = () => resolve(true)));
      for (const frame of burst) socket.send(frame);
      figures.framesSent += burst.length;
      const outcome = await Promise.race([reply, closed.then(() => false), wait(10_000).then(() => null)]);
      if (outcome === null) {
        figures.stalls++;
        socket.terminate();
      } else if (outcome) figures.framesAnswered += burst.length;
    }
    if (open) socket.close();
    const code = await closed;
    figures.closes.set(code, (figures.closes.get(code) ?? 0) + 1);
  }
}

/**
 * 100,000 frames, real and mutated, from many sockets at once while two stock clients edit the same board: the
 * server stays up and answering, refuses only the senders of bad frames, and no honest edit is lost or changed.
 */
describe('fuzzing the sync socket on PGlite', () => {
  let storage: Storage;
  let server: ServerProcess;
  let ann: Account;
  let bob: Account;
  let fuzzer: Account;
  const clients: Array<{ destroy(): void }> = [];

  beforeAll(async () => {
    storage = pgliteStorage();
    server = await ServerProcess.start(storage, { ROOM_UNLOAD_MS: '200', MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) });
    ann = await signUp(server.url, 'Ann');
    const invite = async (role: string) =>
      (await api(server.url, `/api/workspaces/${ann.workspaceId}/invites`, { method: 'POST', body: { role }, cookie: ann.cookie })).json.token;
    bob = await signUp(server.url, 'Bob', { invite: await invite('sales') });
    fuzzer = await signUp(server.url, 'Fuzz', { invite: await invite('sales') });
  });

  afterAll(async () => {
    clients.forEach((client) => client.destroy());
    await server?.stop();
    await storage?.dispose();
  });

  it('takes 100,000 real and mutated frames while two stock clients edit, and loses or changes no honest edit', { timeout: 600_000 }, async () => {
    const room = boardRoom(ann.pipelineId);
    const annBoard = connectClient(server.wsUrl, room, { token: ann.token });
    const bobBoard = connectClient(server.wsUrl, room, { token: bob.token });
    clients.push(annBoard, bobBoard);
    await Promise.all([annBoard.synced, bobBoard.synced]);
    const honest = { ann: [] as string[], bob: [] as string[] };
    let editing = true;
    const edits = (async () => {
      for (let i = 0; editing; i++) {
        const title = `Ann's deal ${i}`;
        addDeal(annBoard.doc, readStages(annBoard.doc)[0].id, { title, value: i });
        honest.ann.push(title);
        const other = `Bob's deal ${i}`;
        addDeal(bobBoard.doc, readStages(bobBoard.doc)[1].id, { title: other, value: i });
        honest.bob.push(other);
        await wait(250);
      }
    })();

    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
    const figures: Figures = { framesSent: 0, framesAnswered: 0, connections: 0, closes: new Map(), mutatedSent: new Map(), stalls: 0, refusedUpgrades: 0 };
    const before = await scrapeMetrics(server.url);
    const started = Date.now();
    let framesRead = 0;
    let running = true;
    const board = Y.encodeStateAsUpdate(annBoard.doc);
    const sockets = Array.from({ length: SOCKETS }, (_, n) => fuzzSocket(`${server.wsUrl}/${room}`, fuzzer.token, seed + n, board, figures, () => running));
    while (framesRead < TARGET_FRAMES && Date.now() - started < HANG_GUARD_MS) {
      await wait(1_000);
      framesRead = (await scrapeMetrics(server.url)).get('lanes_messages_in_total')! - (before.get('lanes_messages_in_total') ?? 0);
    }
    running = false;
    await Promise.all(sockets);
    editing = false;
    await edits;
    const seconds = (Date.now() - started) / 1000;
    const after = await scrapeMetrics(server.url);
    framesRead = after.get('lanes_messages_in_total')! - (before.get('lanes_messages_in_total') ?? 0);
    const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
    const rejected = [...after].filter(([name]) => name.startsWith('lanes_messages_rejected_total')).map(([name, value]) => `${name.match(/\d+/)![0]}: ${value - (before.get(name) ?? 0)}`);
    console.log(
      [
        `fuzz (seed ${seed}): ${figures.framesSent} frames sent from ${SOCKETS} sockets in ${seconds.toFixed(1)} s; the server read ${framesRead} (lanes_messages_in_total), ` +
          `${Math.round(framesRead / seconds)}/s; ${figures.framesAnswered} in bursts it answered`,
        `  rejected by code (server): ${rejected.join(', ')}`,
        `  connections opened: ${figures.connections}; closes seen by the fuzzer: ${[...figures.closes].map(([code, count]) => `${code}: ${count}`).join(', ')}; ` +
          `bursts with no answer within 10 s: ${figures.stalls}; upgrades refused: ${figures.refusedUpgrades}`,
        `  refusal reasons (server log): ${refusalReasons(server.output)}`,
        `  mutated frames sent: ${[...figures.mutatedSent].map(([name, count]) => `${name} ${count}`).join(', ')}`,
        `  honest edits: ${honest.ann.length + honest.bob.length} deals; server updates in: ${after.get('lanes_updates_in_total')! - (before.get('lanes_updates_in_total') ?? 0)}; ` +
          `server RSS ${mib(before.get('process_resident_memory_bytes')!)} → ${mib(after.get('process_resident_memory_bytes')!)} MiB`
      ].join('\n')
    );

    expect(framesRead).toBeGreaterThanOrEqual(TARGET_FRAMES);
    expect(figures.stalls).toBe(0);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect(server.output).not.toMatch(/uncaught|unhandled/i);

    // The stock clients were never closed, converged, and each holds every honest edit exactly once.
    const honestTitles = (doc: Y.Doc) =>
      readDeals(doc)
        .map((deal) => deal.title)
        .filter((title) => title.startsWith("Ann's deal") || title.startsWith("Bob's deal"))
        .sort();
    const expected = [...honest.ann, ...honest.bob].sort();
    const dealsById = (doc: Y.Doc) => readDeals(doc).sort((a, b) => a.id.localeCompare(b.id));
    await eventually(() => {
      expect(Y.encodeStateVector(annBoard.doc)).toEqual(Y.encodeStateVector(bobBoard.doc));
      expect(dealsById(annBoard.doc)).toEqual(dealsById(bobBoard.doc));
    }, 15_000);
    expect(honestTitles(annBoard.doc)).toEqual(expected);
    expect(annBoard.provider.wsconnected && bobBoard.provider.wsconnected).toBe(true);

    // And so does what the server stored.
    await server.stop();
    await server.start();
    const fresh = connectClient(server.wsUrl, room, { token: ann.token });
    clients.push(fresh);
    await fresh.synced;
    expect(honestTitles(fresh.doc)).toEqual(expected);
    expect(dealsById(fresh.doc)).toEqual(dealsById(annBoard.doc));
    expect(server.output).not.toMatch(/uncaught|unhandled/i);
  });
});
