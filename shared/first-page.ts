import * as Y from 'yjs';
import { inspectBoard, readColumns, readDeal, readMeta, readStages, type Deal, type Stage } from './board-doc.ts';
import { compareRanked } from './ranking.ts';
import { readContacts } from './contacts-doc.ts';
import { CURRENCIES } from './deal-fields.ts';
import { summarizeColumn } from './pipeline-stats.ts';

/**
 * A board's "first page": its stages, every column's count and sums, and the first cards of each column in board
 * order — what a windowed column shows before it is scrolled. It is painted at once while the whole doc (megabytes
 * on a 10,000-deal board) loads, read-only, then replaced by the live board; it is never written back into a doc.
 * Served by GET /api/pipelines/:id/first-page and kept per user and room on the device (web/lib/offline.ts).
 */
export const FIRST_PAGE_VERSION = 1;

/** Cards per column: a windowed column shows about this many on a 900 px screen (viewport + overscan). */
export const FIRST_PAGE_CARDS = 12;

export interface FirstPageColumn {
  stage: Stage;
  /** All valid deals in the column, and their sums: the header shows the whole column's figures. */
  count: number;
  total: number;
  weighted: number;
  /** The column's first cards in board order (rank, then id). */
  deals: Deal[];
}

export interface FirstPage {
  version: typeof FIRST_PAGE_VERSION;
  /** The board's name (meta). */
  name: string;
  /** The currency column sums are shown in (the one most deals use). */
  mainCurrency: string;
  columns: FirstPageColumn[];
  /** Names of the contacts and owners the shown cards name, by id. */
  contactNames: Record<string, string>;
  ownerNames: Record<string, string>;
}

/** Who the cards name: a contact's or an owner's name by id, or null when unknown. */
export interface FirstPageNames {
  contact?: (contactId: string) => string | null;
  owner?: (ownerId: string) => string | null;
}

/** The currency most deals use (USD without deals): as the live board's read model picks it. */
export function mainCurrencyOf(columns: Iterable<ReadonlyArray<{ currency: string }>>): string {
  const counts = new Map<string, number>();
  for (const column of columns) for (const deal of column) counts.set(deal.currency, (counts.get(deal.currency) ?? 0) + 1);
  let most = 'USD';
  for (const [currency, count] of counts) if (count > (counts.get(most) ?? 0)) most = currency;
  return most;
}

/** The first page of a board already read into columns (the live board's read model, or readColumns). */
export function firstPageOf(
  board: { name: string; stages: readonly Stage[]; columns: ReadonlyMap<string, readonly Deal[]>; mainCurrency?: string },
  names: FirstPageNames = {},
  cards = FIRST_PAGE_CARDS
): FirstPage {
  const contactNames: Record<string, string> = {};
  const ownerNames: Record<string, string> = {};
  const keep = (into: Record<string, string>, id: string | null, read?: (id: string) => string | null) => {
    const name = id && read ? read(id) : null;
    if (id && name) into[id] = name;
  };
  const columns = board.stages.map((stage) => {
    const deals = board.columns.get(stage.id) ?? [];
    const summary = summarizeColumn(stage, deals);
    const first = deals.slice(0, cards).map((deal) => ({ ...deal, tags: [...deal.tags] }));
    for (const deal of first) {
      keep(contactNames, deal.contactId, names.contact);
      keep(ownerNames, deal.ownerId, names.owner);
    }
    return { stage: { ...stage }, count: summary.count, total: summary.total, weighted: summary.weighted, deals: first };
  });
  return {
    version: FIRST_PAGE_VERSION,
    name: board.name,
    mainCurrency: board.mainCurrency ?? mainCurrencyOf(board.columns.values()),
    columns,
    contactNames,
    ownerNames
  };
}

/** The first page read from the docs themselves (the server's loaded rooms), with the shared readers. */
export function readFirstPage(board: Y.Doc, contacts: Y.Doc | null, ownerName: (ownerId: string) => string | null = () => null, cards = FIRST_PAGE_CARDS): FirstPage {
  const view = inspectBoard(board);
  const contactNames = new Map((contacts ? readContacts(contacts) : []).map((contact) => [contact.id, contact.name]));
  return firstPageOf({ name: readMeta(board).name, stages: view.stages, columns: readColumns(view) }, { contact: (id) => contactNames.get(id) ?? null, owner: ownerName }, cards);
}

/**
 * The same page from a board doc known to hold only valid records: a server room that is not degraded, whose records
 * were all checked when it loaded and whose every update was checked before it was applied. Only each deal's stage,
 * rank, value and currency are read, and only the cards shown are read (and checked) whole: a few milliseconds on a
 * 10,000-deal board instead of reading and checking every deal. A record that is not even a deal of a known stage
 * is still left out.
 */
export function readCheckedFirstPage(board: Y.Doc, contacts: Y.Doc | null, cards = FIRST_PAGE_CARDS): FirstPage {
  const stages = readStages(board);
  const columns = new Map<string, Array<{ id: string; rank: string; value: number; currency: string }>>(stages.map((stage) => [stage.id, []]));
  for (const [id, record] of board.getMap<unknown>('deals').entries()) {
    if (!(record instanceof Y.Map)) continue;
    const column = columns.get(record.get('stageId') as string);
    const rank = record.get('rank');
    if (!column || typeof rank !== 'string') continue;
    column.push({ id, rank, value: Number(record.get('value')), currency: String(record.get('currency')) });
  }
  const contactNames = new Map((contacts ? readContacts(contacts) : []).map((contact) => [contact.id, contact.name]));
  const names: Record<string, string> = {};
  const page: FirstPage = {
    version: FIRST_PAGE_VERSION,
    name: readMeta(board).name,
    mainCurrency: mainCurrencyOf(columns.values()),
    columns: stages.map((stage) => {
      const column = columns.get(stage.id)!.sort(compareRanked);
      const summary = summarizeColumn(stage, column);
      const deals: Deal[] = [];
      for (const { id } of column) {
        if (deals.length === cards) break;
        const deal = readDeal(board, id);
        if (!deal) continue;
        deals.push(deal);
        const contact = deal.contactId ? contactNames.get(deal.contactId) : undefined;
        if (deal.contactId && contact) names[deal.contactId] = contact;
      }
      return { stage, count: summary.count, total: summary.total, weighted: summary.weighted, deals };
    }),
    contactNames: names,
    ownerNames: {}
  };
  return page;
}

const isString = (value: unknown, max = 1024): value is string => typeof value === 'string' && value.length <= max;
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isCurrency = (value: unknown) => (CURRENCIES as readonly unknown[]).includes(value);
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isIdOrNull = (value: unknown) => value === null || isString(value, 64);

/** Everything a card and a column header show has the type they need (a plain check: this runs before first paint). */
function isDeal(value: unknown): value is Deal {
  return (
    isRecord(value) &&
    isString(value.id, 64) &&
    isString(value.title, 200) &&
    isNumber(value.value) &&
    isCurrency(value.currency) &&
    isString(value.stageId, 64) &&
    isString(value.rank) &&
    isIdOrNull(value.contactId) &&
    isIdOrNull(value.ownerId) &&
    (value.expectedCloseDate === null || isString(value.expectedCloseDate, 10)) &&
    Array.isArray(value.tags) &&
    value.tags.length <= 20 &&
    value.tags.every((tag) => isString(tag, 32)) &&
    isNumber(value.createdAt) &&
    isNumber(value.updatedAt) &&
    isNumber(value.lastActivityAt)
  );
}

function isColumn(value: unknown): value is FirstPageColumn {
  if (!isRecord(value) || !isRecord(value.stage)) return false;
  const { stage } = value;
  return (
    isString(stage.id, 64) &&
    isString(stage.name, 80) &&
    isNumber(stage.probability) &&
    (stage.outcome === 'open' || stage.outcome === 'won' || stage.outcome === 'lost') &&
    Number.isInteger(value.count) &&
    (value.count as number) >= 0 &&
    isNumber(value.total) &&
    isNumber(value.weighted) &&
    Array.isArray(value.deals) &&
    value.deals.length <= 100 &&
    value.deals.every(isDeal)
  );
}

const isNames = (value: unknown): value is Record<string, string> => isRecord(value) && Object.values(value).every((name) => isString(name, 200));

/** A first page from storage or the network, checked: anything else (an older version, a damaged entry) is null. */
export function parseFirstPage(value: unknown): FirstPage | null {
  if (!isRecord(value) || value.version !== FIRST_PAGE_VERSION || !isString(value.name, 200) || !isCurrency(value.mainCurrency)) return null;
  if (!Array.isArray(value.columns) || value.columns.length > 100 || !value.columns.every(isColumn)) return null;
  if (!isNames(value.contactNames) || !isNames(value.ownerNames)) return null;
  return value as unknown as FirstPage;
}
