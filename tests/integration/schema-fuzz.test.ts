import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as syncProtocol from 'y-protocols/sync';
import { addDeal, dealNotes, deleteDeal, moveDeal, readDeals, readStages, renameStage, updateDeal } from '../../shared/board-doc.ts';
import { addContact, readContacts, updateContact } from '../../shared/contacts-doc.ts';
import { docProblems, recordProblems } from '../../shared/doc-schema.ts';
import { boardRoom, contactsRoom } from '../../shared/rooms.ts';
import { encodeDocUpdate, encodeSyncStep1 } from '../../server/sync/protocol.ts';
import { ServerProcess, storageKinds, type Storage } from '../support/server-process.ts';
import { connectClient, eventually, signUp, signUpColleague, type Account } from '../support/clients.ts';
import { scrapeMetrics } from '../support/metrics.ts';

// npm test sends 1,000; the faults suite (tests/faults/schema-fuzz.test.ts) sends the full 10,000.
const INVALID_TARGET = Number(process.env.SCHEMA_FUZZ_UPDATES ?? 1_000);
const WORKERS = 8;
/** One update in this many is a valid random edit, which must be accepted. */
const VALID_EVERY = 8;
/** Sample deals the invalid updates target; valid edits use the others, so no valid edit can race an invalid one into validity. */
const TARGETED_DEALS = 15;

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

/** Values of the wrong type or out of a field's limits; none is valid for the field it is written to. */
const BAD_VALUES: Record<string, readonly unknown[]> = {
  id: [5, '', 'x'.repeat(65), null, 'someone-else'],
  title: [42, '', '   ', 'x'.repeat(201), null, true, ['a'], { t: 1 }],
  value: ['1000', -1, 1e13, NaN, Infinity, -Infinity, null, true, [5], { v: 1 }],
  currency: ['XYZ', 'usd', 5, null, ''],
  stageId: ['no-such-stage', '', 7, null],
  rank: ['', 'a b', 'é', 5, null, 'x'.repeat(1025)],
  contactId: [5, 'x'.repeat(65), { id: 'c' }, true],
  ownerId: [5, 'x'.repeat(65), [], false],
  expectedCloseDate: ['2024-13-45', '20240101', 'tomorrow', 5, true],
  createdAt: [-1, '1', NaN, null, 'yesterday'],
  updatedAt: [-5, 'now', Infinity, {}],
  lastActivityAt: [NaN, '0', -1, []]
};
const FIELDS = Object.keys(BAD_VALUES);
const UNKNOWN_KEYS = ['titel', 'color', '__proto__', 'constructor', 'toString', '', 'x'.repeat(300)];
const NOT_A_MAP = ['a deal', 42, null, true, ['x']];

/** A value that breaks a field's rule, sometimes a nested Y type instead of a plain value. */
function badValue(random: Random, field: string, doc: Y.Doc): unknown {
  const roll = random.next();
  if (roll < 0.08) return new Y.Map(Object.entries({ nested: 1 }));
  if (roll < 0.12) return new Y.Text('nested');
  if (field === 'stageId' && roll < 0.3) return random.pick(readDeals(doc)).id; // a deal's id, not a stage's
  return random.pick(BAD_VALUES[field]);
}

type Mutation = (doc: Y.Doc, random: Random) => void;

/**
 * The sample records, split once when the test starts: invalid updates target the first TARGETED_DEALS, valid
 * edits the rest, so no valid edit can race an invalid one into validity.
 */
const split = { targetDeals: [] as string[], freeDeals: [] as string[], targetContacts: [] as string[], freeContacts: [] as string[] };

const dealMap = (doc: Y.Doc, random: Random) => doc.getMap<Y.Map<unknown>>('deals').get(random.pick(split.targetDeals))!;

/** Schema violations a member's client could send, each made with Yjs on a copy of the real board. */
const boardMutations: Record<string, Mutation> = {
  wrongFieldValue: (doc, random) => {
    const field = random.pick(FIELDS);
    dealMap(doc, random).set(field, badValue(random, field, doc));
  },
  unknownField: (doc, random) => dealMap(doc, random).set(random.pick(UNKNOWN_KEYS), random.pick(['x', 1, true])),
  fieldDeleted: (doc, random) => dealMap(doc, random).delete(random.pick([...FIELDS, 'tags', 'notes'])),
  validValueUnderWrongKey: (doc, random) => {
    const deal = dealMap(doc, random);
    const field = random.pick(['title', 'value', 'stageId']);
    deal.set(`${field}_`, deal.get(field));
    deal.delete(field);
  },
  dealNotAMap: (doc, random) => doc.getMap<unknown>('deals').set(random.pick(split.targetDeals), random.pick(NOT_A_MAP)),
  newDealNotAMap: (doc, random) => doc.getMap<unknown>('deals').set(`forged${random.int(1e9)}`, random.pick([...NOT_A_MAP, new Y.Array(), new Y.Text('x')])),
  newDealMissingField: (doc, random) => {
    const source = doc.getMap<Y.Map<unknown>>('deals').get(random.pick(split.targetDeals))!;
    const id = `forged${random.int(1e9)}`;
    const skip = random.pick([...FIELDS, 'tags']);
    const copy = new Y.Map<unknown>();
    doc.getMap<unknown>('deals').set(id, copy);
    for (const [key, value] of source.entries()) {
      if (key === skip || key === 'notes') continue;
      copy.set(key, key === 'id' ? id : key === 'tags' ? new Y.Map() : value);
    }
    copy.set('notes', new Y.Text());
  },
  newDealKeyIsNotItsId: (doc, random) => {
    const stage = readStages(doc)[0].id;
    const id = addDeal(doc, stage, { title: 'Forged' });
    const map = doc.getMap<Y.Map<unknown>>('deals').get(id)!;
    map.set('id', `other${random.int(1e9)}`);
  },
  badTag: (doc, random) => {
    const tags = dealMap(doc, random).get('tags') as Y.Map<unknown>;
    const roll = random.int(3);
    if (roll === 0) tags.set('vip', random.pick([false, 1, 'true', null]));
    else tags.set(random.pick(['', ' padded', 'x'.repeat(33)]), true);
  },
  tagsNotAMap: (doc, random) => dealMap(doc, random).set('tags', random.pick([['a'], 'vip', true, new Y.Array(), new Y.Text('a')])),
  notesReplaced: (doc, random) => dealMap(doc, random).set('notes', random.pick(['plain', 5, new Y.Map(), new Y.Array(), new Y.Text('fresh')])),
  notesNotPlain: (doc, random) => {
    const notes = dealMap(doc, random).get('notes') as Y.Text;
    if (random.next() < 0.5) notes.insertEmbed(0, { image: 'x' });
    else notes.insert(0, 'bold', { bold: true });
  },
  metaWritten: (doc, random) => {
    const meta = doc.getMap<unknown>('meta');
    const roll = random.int(4);
    if (roll === 0) meta.set('schemaVersion', random.pick([99, 1, 0, '2']));
    else if (roll === 1) meta.set(random.pick(['name', 'pipelineId', 'workspaceId']), random.pick(['Mine', 5, '']));
    else if (roll === 2) meta.delete(random.pick(['schemaVersion', 'name', 'pipelineId']));
    else meta.set('extra', 1);
  },
  stageAdded: (doc) => doc.getArray<unknown>('stages').push([new Y.Map(Object.entries({ id: 'forged', name: 'Forged', probability: 5, outcome: 'open' }))]),
  stageRemoved: (doc, random) => doc.getArray<unknown>('stages').delete(random.int(6), 1),
  stageFieldChanged: (doc, random) => {
    const stage = doc.getArray<Y.Map<unknown>>('stages').get(random.int(6));
    const field = random.pick(['id', 'probability', 'outcome', 'extra']);
    stage.set(field, random.pick([NaN, 'NaN', 50, 'won', 'x']));
  },
  stageBadName: (doc, random) => doc.getArray<Y.Map<unknown>>('stages').get(random.int(6)).set('name', random.pick(['', '  ', 'x'.repeat(81), 5, null])),
  unknownTopLevel: (doc, random) => {
    const roll = random.int(3);
    if (roll === 0) doc.getMap(`extra${random.int(5)}`).set('x', 1);
    else if (roll === 1) doc.getArray('evil').push([1]);
    else doc.getText('notes').insert(0, 'top-level text');
  },
  topLevelOfTheWrongKind: (doc, random) => {
    // A fresh doc holds the top-level types untyped: take one as another kind and write through it.
    const name = random.pick(['deals', 'meta']);
    const fresh = new Y.Doc();
    Y.applyUpdate(fresh, Y.encodeStateAsUpdate(doc));
    const before = Y.encodeStateVector(fresh);
    fresh.getArray(name).insert(0, ['hidden']);
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(fresh, before));
  }
};

const contactsMutations: Record<string, Mutation> = {
  badEmail: (doc, random) => contactMap(doc, random).set('email', random.pick(['not an address', 5, 'a@', null])),
  badName: (doc, random) => contactMap(doc, random).set('name', random.pick(['', 'x'.repeat(121), 7, null])),
  unknownField: (doc, random) => contactMap(doc, random).set(random.pick(UNKNOWN_KEYS), 'x'),
  fieldDeleted: (doc, random) => contactMap(doc, random).delete(random.pick(['id', 'name', 'email', 'company', 'phone', 'createdAt', 'updatedAt'])),
  notAMap: (doc, random) => doc.getMap<unknown>('contacts').set(random.pick(split.targetContacts), random.pick(NOT_A_MAP)),
  metaWritten: (doc, random) => doc.getMap<unknown>('meta').set(random.pick(['schemaVersion', 'workspaceId', 'x']), random.pick([99, 'w', null])),
  unknownTopLevel: (doc) => doc.getMap('deals').set('x', 1)
};

const contactMap = (doc: Y.Doc, random: Random) => doc.getMap<Y.Map<unknown>>('contacts').get(random.pick(split.targetContacts))!;

/** Valid random edits a member makes (never on the deals and contacts the invalid updates target). */
function validEdit(kind: 'board' | 'contacts', doc: Y.Doc, random: Random): string {
  if (kind === 'contacts') {
    const free = split.freeContacts;
    if (random.next() < 0.5) addContact(doc, { name: `Fuzz contact ${random.int(1e6)}`, email: 'fuzz@example.com' });
    else updateContact(doc, random.pick(free), { phone: `+1 555 ${random.int(10_000)}`, company: `Co ${random.int(100)}` });
    return 'contact edit';
  }
  const free = split.freeDeals;
  const stages = readStages(doc);
  const mine = readDeals(doc).filter((deal) => deal.title.startsWith('Fuzz deal'));
  const roll = random.int(7);
  if (roll === 0) {
    addDeal(doc, random.pick(stages).id, { title: `Fuzz deal ${random.int(1e6)}`, value: random.int(100_000), tags: random.next() < 0.5 ? ['fuzz'] : [] });
    return 'add';
  }
  const dealId = random.pick(free);
  if (roll === 1) updateDeal(doc, dealId, { title: `Edited ${random.int(1e6)}`, value: random.int(1e6), currency: random.pick(['USD', 'EUR', 'SEK']) });
  else if (roll === 2) moveDeal(doc, dealId, random.pick(stages).id, random.int(5));
  else if (roll === 3) updateDeal(doc, dealId, { tags: random.next() < 0.5 ? ['fuzz', 'valid'] : [], expectedCloseDate: random.next() < 0.5 ? '2031-02-03' : null });
  else if (roll === 4) dealNotes(doc, dealId)?.insert(0, `note ${random.int(1000)} `);
  else if (roll === 5 && mine.length > 3) deleteDeal(doc, random.pick(mine).id);
  else renameStage(doc, stages[6].id, random.pick(['Lost', 'Lost deals', 'Closed lost']));
  return ['add', 'edit', 'move', 'tags', 'notes', 'delete', 'rename stage'][roll];
}

/** A change made on a copy of `source`, as the update a stock client would send for it. */
function changeAsUpdate(source: Y.Doc, change: (doc: Y.Doc) => void): Uint8Array | null {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(source));
  const before = Y.encodeStateVector(doc);
  change(doc);
  const update = Y.encodeStateAsUpdate(doc, before);
  doc.destroy();
  return Y.snapshotContainsUpdate(Y.snapshot(source), update) ? null : update;
}

/**
 * Open a socket as the fuzzing member, send one update message, then a sync step 1 probe: its answer means the
 * update was admitted; a close means it was refused (with the close code).
 */
function sendOnce(url: string, token: string, update: Uint8Array): Promise<{ accepted: true } | { accepted: false; code: number; reason: string }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    let settled = false;
    const settle = (outcome: { accepted: true } | { accepted: false; code: number; reason: string }) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
      if (outcome.accepted) socket.close();
    };
    socket.on('open', () => {
      socket.send(encodeDocUpdate(update));
      socket.send(encodeSyncStep1(new Y.Doc()));
    });
    socket.on('message', (data: Buffer) => {
      if (data[0] === 0 && data[1] === syncProtocol.messageYjsSyncStep2) settle({ accepted: true });
    });
    socket.on('close', (code, reason) => settle({ accepted: false, code, reason: reason.toString() }));
    socket.on('error', () => undefined);
  });
}

// The faults suite's long run uses one storage (SCHEMA_FUZZ_STORAGE=last: Postgres when DATABASE_URL is set).
const fuzzStorages = process.env.SCHEMA_FUZZ_STORAGE === 'last' ? storageKinds.slice(-1) : storageKinds;

describe.each(fuzzStorages)(`schema fuzz: a member’s stock client sends ${INVALID_TARGET} schema-violating updates ($label)`, ({ create }) => {
  let storage: Storage;
  let server: ServerProcess;
  let ann: Account;
  let bob: Account;
  let fuzzer: Account;
  const clients: Array<{ destroy(): void }> = [];

  beforeAll(async () => {
    storage = await create();
    server = await ServerProcess.start(storage, { ROOM_UNLOAD_MS: '60000' });
    ann = await signUp(server.url, 'Ann');
    bob = await signUpColleague(server.url, ann, 'Bob');
    fuzzer = await signUpColleague(server.url, ann, 'Fuzz', 'sales');
  });

  afterAll(async () => {
    clients.forEach((client) => client.destroy());
    await server?.stop();
    await storage?.dispose();
  });

  // Each refused update costs its sender a new socket (upgrade, auth, join): allow 240 ms each on a busy machine.
  it('refuses every one with 4422, keeps the stored doc to the valid edits, and colleagues keep syncing', { timeout: Math.max(300_000, INVALID_TARGET * 240) }, async () => {
    const rooms = { board: boardRoom(ann.pipelineId), contacts: contactsRoom(ann.workspaceId) };
    const annBoard = connectClient(server.wsUrl, rooms.board, { token: ann.token });
    const bobBoard = connectClient(server.wsUrl, rooms.board, { token: bob.token });
    const watchers = { board: connectClient(server.wsUrl, rooms.board, { token: fuzzer.token }), contacts: connectClient(server.wsUrl, rooms.contacts, { token: fuzzer.token }) };
    clients.push(annBoard, bobBoard, watchers.board, watchers.contacts);
    const colleagueCloses: number[] = [];
    for (const client of [annBoard, bobBoard]) client.provider.on('connection-close', (event: CloseEvent | null) => colleagueCloses.push(event?.code ?? 0));
    await Promise.all([annBoard.synced, bobBoard.synced, watchers.board.synced, watchers.contacts.synced]);
    const dealIds = readDeals(watchers.board.doc).map((deal) => deal.id).sort();
    const contactIds = readContacts(watchers.contacts.doc).map((contact) => contact.id).sort();
    Object.assign(split, {
      targetDeals: dealIds.slice(0, TARGETED_DEALS),
      freeDeals: dealIds.slice(TARGETED_DEALS),
      targetContacts: contactIds.slice(0, TARGETED_DEALS),
      freeContacts: contactIds.slice(TARGETED_DEALS)
    });

    // Ann and Bob keep editing their own deals all along.
    let editing = true;
    const honest: string[] = [];
    const colleagues = (async () => {
      for (let i = 0; editing; i++) {
        const [client, name] = i % 2 ? [bobBoard, 'Bob'] : [annBoard, 'Ann'];
        const title = `${name}'s deal ${i}`;
        addDeal(client.doc, readStages(client.doc)[i % 5].id, { title, value: i });
        honest.push(title);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    })();

    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
    const before = await scrapeMetrics(server.url);
    const figures = { invalidSent: 0, invalidRefused4422: 0, invalidAccepted: [] as string[], otherCloses: [] as string[], validSent: 0, validAccepted: 0, validRefused: [] as string[], skipped: 0 };
    const perMutation = new Map<string, number>();
    const started = Date.now();
    let issued = 0;

    async function worker(n: number) {
      const random = prng(seed + n);
      while (issued < INVALID_TARGET) {
        const kind = random.next() < 0.15 ? 'contacts' : 'board';
        const source = watchers[kind].doc;
        const url = `${server.wsUrl}/${rooms[kind]}`;
        if (random.int(VALID_EVERY) === 0) {
          let label = '';
          const update = changeAsUpdate(source, (doc) => (label = validEdit(kind, doc, random)));
          if (!update) continue;
          figures.validSent++;
          const outcome = await sendOnce(url, fuzzer.token, update);
          if (outcome.accepted) figures.validAccepted++;
          else figures.validRefused.push(`${label}: ${outcome.code} ${outcome.reason}`);
          continue;
        }
        const mutations = kind === 'board' ? boardMutations : contactsMutations;
        const name = random.pick(Object.keys(mutations));
        const update = changeAsUpdate(source, (doc) => mutations[name](doc, random));
        if (!update) {
          figures.skipped++;
          continue;
        }
        issued++;
        figures.invalidSent++;
        perMutation.set(`${kind}.${name}`, (perMutation.get(`${kind}.${name}`) ?? 0) + 1);
        const outcome = await sendOnce(url, fuzzer.token, update);
        if (outcome.accepted) figures.invalidAccepted.push(`${kind}.${name}`);
        else if (outcome.code === 4422) figures.invalidRefused4422++;
        else figures.otherCloses.push(`${kind}.${name}: ${outcome.code} ${outcome.reason}`);
      }
    }
    await Promise.all(Array.from({ length: WORKERS }, (_, n) => worker(n)));
    const seconds = (Date.now() - started) / 1000;
    editing = false;
    await colleagues;

    const after = await scrapeMetrics(server.url);
    const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    console.log(
      [
        `schema fuzz on ${storage.label} (seed ${seed}): ${figures.invalidSent} invalid updates in ${seconds.toFixed(1)} s, ${Math.round(figures.invalidSent / seconds)}/s; ` +
          `refused with 4422: ${figures.invalidRefused4422}; accepted: ${figures.invalidAccepted.length}; other closes: ${figures.otherCloses.length}`,
        `  valid edits interleaved: ${figures.validSent} sent, ${figures.validAccepted} accepted, ${figures.validRefused.length} refused; colleagues' deals: ${honest.length}`,
        `  server: lanes_messages_rejected_total{code="4422"} +${delta('lanes_messages_rejected_total{code="4422"}')}, lanes_updates_in_total +${delta('lanes_updates_in_total')}; ` +
          `RSS ${Math.round(after.get('process_resident_memory_bytes')! / 1024 / 1024)} MiB`,
        `  by mutation: ${[...perMutation].map(([name, count]) => `${name} ${count}`).join(', ')}`
      ].join('\n')
    );
    expect(figures.invalidAccepted).toEqual([]);
    expect(figures.otherCloses).toEqual([]);
    expect(figures.invalidRefused4422).toBe(figures.invalidSent);
    expect(figures.invalidSent).toBeGreaterThanOrEqual(INVALID_TARGET);
    expect(delta('lanes_messages_rejected_total{code="4422"}')).toBe(figures.invalidSent);
    expect(figures.validRefused).toEqual([]);
    expect(figures.validAccepted).toBe(figures.validSent);
    expect(colleagueCloses).toEqual([]);

    // Colleagues converged, hold every honest deal once, and the doc they hold is valid in full.
    await eventually(() => {
      expect(Y.encodeStateVector(annBoard.doc)).toEqual(Y.encodeStateVector(bobBoard.doc));
      expect(annBoard.doc.getMap('deals').toJSON()).toEqual(bobBoard.doc.getMap('deals').toJSON());
    }, 15_000);
    const honestTitles = (doc: Y.Doc) => readDeals(doc).map((deal) => deal.title).filter((title) => /^(Ann|Bob)'s deal/.test(title)).sort();
    expect(honestTitles(annBoard.doc)).toEqual([...honest].sort());
    expect([...docProblems(annBoard.doc, 'board'), ...recordProblems(annBoard.doc, 'board')]).toEqual([]);

    // What the server stored is exactly what the colleagues hold: nothing refused reached it.
    await server.stop();
    await server.start();
    const fresh = { board: connectClient(server.wsUrl, rooms.board, { token: ann.token }), contacts: connectClient(server.wsUrl, rooms.contacts, { token: ann.token }) };
    clients.push(fresh.board, fresh.contacts);
    await Promise.all([fresh.board.synced, fresh.contacts.synced]);
    expect(fresh.board.doc.getMap('deals').toJSON()).toEqual(annBoard.doc.getMap('deals').toJSON());
    expect(fresh.board.doc.getMap('meta').toJSON()).toEqual(annBoard.doc.getMap('meta').toJSON());
    expect(fresh.board.doc.getArray('stages').toJSON()).toEqual(annBoard.doc.getArray('stages').toJSON());
    expect([...fresh.board.doc.share.keys()].sort()).toEqual(['deals', 'meta', 'stages']);
    expect([...docProblems(fresh.contacts.doc, 'contacts'), ...recordProblems(fresh.contacts.doc, 'contacts')]).toEqual([]);
    expect(readContacts(fresh.contacts.doc).length).toBeGreaterThanOrEqual(30);
    expect(server.output).not.toMatch(/uncaught|unhandled/i);
  });
});
