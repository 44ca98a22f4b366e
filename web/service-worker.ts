/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
import { build, files, version } from '$service-worker';

/**
 * Offline shell: the built app (JS, CSS, static files and the SPA's index.html) is cached at install, so a board
 * reloaded without network still starts; its data then comes from IndexedDB (y-indexeddb) and the last /api/me
 * and /api/pipelines answers kept in localStorage. /api and /ws are never cached here.
 */
const worker = self as unknown as ServiceWorkerGlobalScope;
const CACHE = `lanes-shell-${version}`;
const SHELL = '/index.html';
const ASSETS = new Set([...build, ...files, SHELL]);

worker.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll([...ASSETS]))
      .then(() => worker.skipWaiting())
  );
});

worker.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => worker.clients.claim())
  );
});

worker.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/ws/')) return;
  if (ASSETS.has(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((cached) => cached ?? fetch(request)));
    return;
  }
  if (request.mode === 'navigate') {
    // Pages: the network when there is one (fresh deploys), else the cached app shell.
    event.respondWith(
      fetch(request).catch(async () => (await caches.match(SHELL)) ?? new Response('Lanes is offline and this page was never loaded here.', { status: 503 }))
    );
  }
});
