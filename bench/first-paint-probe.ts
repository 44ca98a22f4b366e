/**
 * `node --import tsx bench/first-paint-probe.ts`: where a big board's first paint spends its time in Chromium, fresh
 * and returning (IndexedDB copy): page scripts, the sync socket's first bytes and the whole doc's arrival, how long
 * y-websocket's handler takes with that message (Y.applyUpdate and the read model it triggers), and the first card.
 * BIG_BOARD_DEALS (default 10000); PROBE_PROFILE=1 adds a CPU profile (self time by function) of the returning visit.
 * Prints what it found per visit; a diagnosis, not a target.
 */
import type { Page } from 'playwright-core';
import { pgliteStorage, ServerProcess } from '../tests/support/server-process.ts';
import { signUp } from '../tests/support/clients.ts';
import { launchChromium } from '../tests/support/browser.ts';
import { seedBigBoard } from '../tests/support/big-board.ts';

const DEALS = Number(process.env.BIG_BOARD_DEALS ?? 10_000);

/** In the page before its scripts: timestamps of socket messages (and their handlers' duration) and the first card. */
const WATCH = `(() => {
  const probe = { messages: [], firstCard: -1, opened: -1, longest: 0, domContentLoaded: -1 };
  window.probe = probe;
  new PerformanceObserver((list) => { for (const e of list.getEntries()) probe.longest = Math.max(probe.longest, e.duration); }).observe({ type: 'longtask', buffered: true });
  const Native = WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      const url = String(args[0]);
      this.addEventListener('open', () => { if (probe.opened < 0) probe.opened = performance.now(); });
      let handler = null;
      Object.defineProperty(this, 'onmessage', {
        set: (fn) => { handler = fn; },
        get: () => handler
      });
      super.onmessage = (event) => {
        const at = performance.now();
        const size = event.data.byteLength ?? event.data.length;
        handler?.call(this, event);
        if (size > 10000) probe.messages.push({ url: url.slice(-40), at: Math.round(at), size, handlerMs: Math.round(performance.now() - at) });
      };
    }
  };
  document.addEventListener('DOMContentLoaded', () => {
    probe.domContentLoaded = performance.now();
    const observer = new MutationObserver(() => {
      if (document.querySelector('[data-deal-id]')) { probe.firstCard = performance.now(); observer.disconnect(); }
    });
    observer.observe(document.body, { childList: true, subtree: true });
  });
})()`;

async function visit(page: Page, url: string) {
  await page.goto(url);
  await page.locator('[data-deal-id]').first().waitFor({ timeout: 120_000 });
  await page.waitForTimeout(3_000);
  return page.evaluate(() => {
    const probe = (window as any).probe;
    const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
    const scripts = resources.filter((entry) => entry.initiatorType === 'script' || entry.name.endsWith('.js'));
    const api = resources.filter((entry) => entry.name.includes('/api/')).map((entry) => `${entry.name.split('/api/')[1]} ${Math.round(entry.startTime)}→${Math.round(entry.responseEnd)}`);
    const marks = performance.getEntriesByType('mark').map((mark) => `${mark.name}@${Math.round(mark.startTime)}`);
    return {
      domContentLoaded: Math.round(probe.domContentLoaded),
      lastScript: Math.round(Math.max(0, ...scripts.map((entry) => entry.responseEnd))),
      scripts: scripts.map((entry) => `${entry.name.split('/').pop()} ${Math.round(entry.startTime)}→${Math.round(entry.responseEnd)}`),
      navigation: (({ responseStart, responseEnd, domInteractive }) => ({ responseStart: Math.round(responseStart), responseEnd: Math.round(responseEnd), domInteractive: Math.round(domInteractive) }))(performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming),
      api,
      socketOpen: Math.round(probe.opened),
      messages: probe.messages,
      marks,
      firstCard: Math.round(probe.firstCard),
      longestTask: Math.round(probe.longest)
    };
  });
}

const storage = pgliteStorage();
const server = await ServerProcess.start(storage, {});
const browser = await launchChromium();
try {
  const ann = await signUp(server.url, 'Ann');
  await seedBigBoard(server.wsUrl, ann, DEALS);
  const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
  const [name, value] = ann.cookie.split('=');
  await context.addCookies([{ name, value, url: server.url }]);
  await context.addInitScript({ content: WATCH });
  const url = `${server.url}/board/${ann.pipelineId}`;
  const fresh = await context.newPage();
  console.log('fresh', JSON.stringify(await visit(fresh, url), null, 1));
  await fresh.close();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const returning = await context.newPage();
  // PROBE_PROFILE=1: a CPU profile of the returning visit's first second, self time by function (where it goes).
  const cdp = process.env.PROBE_PROFILE ? await context.newCDPSession(returning) : null;
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
  }
  const figures = visit(returning, url);
  if (cdp) {
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const { profile } = await cdp.send('Profiler.stop');
    const self = new Map<string, number>();
    const deltas = new Map<number, number>();
    profile.samples?.forEach((id, index) => deltas.set(id, (deltas.get(id) ?? 0) + (profile.timeDeltas?.[index] ?? 0)));
    for (const node of profile.nodes) {
      const frame = node.callFrame;
      const key = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').pop()}:${frame.lineNumber}`;
      self.set(key, (self.get(key) ?? 0) + (deltas.get(node.id) ?? 0) / 1000);
    }
    console.log([...self].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([key, ms]) => `${ms.toFixed(1)} ms  ${key}`).join('\n'));
  }
  console.log('returning', JSON.stringify(await figures, null, 1));
} finally {
  await browser.close();
  await server.stop();
  await storage.dispose();
}
process.exit(0);
