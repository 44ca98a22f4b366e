import { clearDocument } from 'y-indexeddb';
import { fromBase64, toBase64 } from 'lib0/buffer';
import { parseFirstPage, type FirstPage } from '$shared/first-page.ts';

/**
 * What this browser keeps for working offline, per signed-in user: the docs in IndexedDB, the last answers of
 * /api/me and /api/pipelines, and each board's last first page (painted at once on the next visit). All of it goes on logout, so the next person at this computer sees nothing.
 */
const docsKey = (userId: string) => `lanes:local-docs:${userId}`;
const CACHE_PREFIX = 'lanes:cache:';

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

export function rememberLocalDoc(userId: string, name: string): void {
  const store = storage();
  if (!store) return;
  const names = new Set<string>(JSON.parse(store.getItem(docsKey(userId)) ?? '[]'));
  names.add(name);
  store.setItem(docsKey(userId), JSON.stringify([...names]));
}

/** The server's last state vector for a local doc: what it held when we last heard from it. */
export function rememberServerState(name: string, stateVector: Uint8Array): void {
  storage()?.setItem(`lanes:server-state:${name}`, toBase64(stateVector));
}

export function lastServerState(name: string): Uint8Array | null {
  const text = storage()?.getItem(`lanes:server-state:${name}`);
  return text ? fromBase64(text) : null;
}

const firstPageKey = (userId: string, room: string) => `lanes:first-page:${userId}:${room}`;

/** Keep a board's first page (shared/first-page.ts) for this user's next visit; a full storage only loses the nicety. */
export function rememberFirstPage(userId: string, room: string, page: FirstPage): void {
  try {
    storage()?.setItem(firstPageKey(userId, room), JSON.stringify(page));
  } catch {
    // Quota exceeded: the next visit paints when the doc is there, as without a kept page.
  }
}

/** The first page this user's last visit kept for a room, if it is still readable. */
export function lastFirstPage(userId: string, room: string): FirstPage | null {
  const text = storage()?.getItem(firstPageKey(userId, room));
  if (!text) return null;
  try {
    return parseFirstPage(JSON.parse(text));
  } catch {
    return null;
  }
}

export function cacheResponse(path: string, value: unknown): void {
  storage()?.setItem(CACHE_PREFIX + path, JSON.stringify(value));
}

export function cachedResponse<T>(path: string): T | undefined {
  const text = storage()?.getItem(CACHE_PREFIX + path);
  return text ? (JSON.parse(text) as T) : undefined;
}

/** Forget everything kept offline for everyone who used this browser. */
export async function clearOfflineData(): Promise<void> {
  const store = storage();
  if (!store) return;
  const keys = Array.from({ length: store.length }, (_, index) => store.key(index)!).filter(Boolean);
  const docs = keys.filter((key) => key.startsWith('lanes:local-docs:')).flatMap((key) => JSON.parse(store.getItem(key) ?? '[]') as string[]);
  for (const key of keys) if (key.startsWith('lanes:')) store.removeItem(key);
  await Promise.all(docs.map((name) => clearDocument(name).catch(() => undefined)));
}
