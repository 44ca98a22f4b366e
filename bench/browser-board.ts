/**
 * Chromium on a large Lanes board (playwright-core with Debian's /usr/bin/chromium): time to the first card, the
 * DOM size, a colleague's move (a stock client) until it is rendered, drag frame times (requestAnimationFrame deltas
 * while a card is dragged across columns), and a returning browser's first card (its IndexedDB copy).
 */
import type { Page } from 'playwright-core';
import { moveDeal, readColumn, readStages } from '../shared/board-doc.ts';
import { boardRoom } from '../shared/rooms.ts';
import { launchChromium } from '../tests/support/browser.ts';
import type { Account } from '../tests/support/clients.ts';
import { openStockClient } from './stock-client.ts';

export interface BrowserBoardResult {
  /** Navigation start → first card painted, ms (fresh browser context: nothing cached); a card of the read-only first page counts. */
  firstCard: number;
  /** Navigation start → first card of the live (editable) board painted, ms. */
  liveCard: number;
  /** The same two on reload, with the board and its first page kept on the device by the first visit. */
  firstCardReturning: number;
  liveCardReturning: number;
  domNodes: number;
  /** A stock client moves a visible deal to the top of the next column (its update sent) → the card is in that column, ms. */
  moveRendered: number[];
  /** requestAnimationFrame deltas while a card is dragged across two columns, ms. */
  dragFrames: number[];
}

/**
 * Runs in each page before its scripts: when a card of any kind (the first page's or the live board's) was first
 * painted, and the live board's first card, in ms since navigation start: the moment the frame after the card's
 * insertion runs (performance.now() in its requestAnimationFrame callback; the callback's own timestamp is when the
 * frame began, which can be long before a blocked main thread gets to it). Not a locator's poll: the first page may
 * be on screen for a few hundred ms only, between two polls.
 */
const WATCH_CARDS = `(() => {
  const cards = { first: -1, live: -1 };
  window.__cards = cards;
  const look = () => {
    const live = document.querySelector('[data-deal-id]');
    const any = live ?? document.querySelector('[data-first-page-deal]');
    if (any && cards.first < 0) requestAnimationFrame(() => { if (cards.first < 0) cards.first = performance.now(); });
    if (live && cards.live < 0) requestAnimationFrame(() => { if (cards.live < 0) cards.live = performance.now(); });
  };
  document.addEventListener('DOMContentLoaded', () => new MutationObserver(look).observe(document.body, { childList: true, subtree: true }));
})();`;

/** Navigation start → the first card of any kind painted, and → the live board's first card painted. */
async function firstCardAfter(page: Page, navigate: () => Promise<unknown>): Promise<{ first: number; live: number }> {
  await navigate();
  await page.waitForFunction(() => (window as unknown as { __cards: { live: number } }).__cards?.live >= 0, null, { timeout: 120_000 });
  const { first, live } = await page.evaluate(() => (window as unknown as { __cards: { first: number; live: number } }).__cards);
  return { first: Math.round(first), live: Math.round(live) };
}

export async function browserBoard(server: { url: string; wsUrl: string }, account: Account, pipelineId: string, moves: number): Promise<BrowserBoardResult> {
  const browser = await launchChromium();
  const colleague = openStockClient({ protocol: 'y-websocket', wsUrl: server.wsUrl, token: account.token }, boardRoom(pipelineId));
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const [name, value] = account.cookie.split('=');
    await context.addCookies([{ name, value, url: server.url }]);
    // tsx compiles the functions given to page.evaluate with esbuild's keepNames, which calls a __name helper.
    await context.addInitScript({ content: 'window.__name = (target) => target;' });
    await context.addInitScript({ content: WATCH_CARDS });
    const page = await context.newPage();
    const path = `${server.url}/board/${pipelineId}`;
    const { first: firstCard, live: liveCard } = await firstCardAfter(page, () => page.goto(path, { waitUntil: 'commit' }));
    await page.locator('[data-connection="connected"]').waitFor({ timeout: 120_000 });
    await colleague.synced;
    await page.waitForTimeout(1_000);
    const domNodes = await page.evaluate(() => document.getElementsByTagName('*').length);

    const stages = readStages(colleague.doc);
    const moveRendered: number[] = [];
    for (let i = 0; i < moves; i++) {
      const [from, to] = i % 2 === 0 ? [stages[0], stages[1]] : [stages[1], stages[0]];
      const dealId = await page.locator(`section[data-stage-id="${from.id}"] [data-deal-id]`).first().getAttribute('data-deal-id');
      if (!dealId) throw new Error(`no card rendered in ${from.name}`);
      const arrived = page.evaluate(
        ({ dealId, stageId }) =>
          new Promise<number>((resolve) => {
            const found = () => document.querySelector(`section[data-stage-id="${stageId}"] [data-deal-id="${dealId}"]`);
            // Painted: the frame after the card is in its column.
            const painted = () => requestAnimationFrame(() => resolve(Date.now()));
            if (found()) return painted();
            const observer = new MutationObserver(() => {
              if (found()) {
                observer.disconnect();
                painted();
              }
            });
            observer.observe(document.body, { childList: true, subtree: true, attributes: true });
          }),
        { dealId, stageId: to.id }
      );
      arrived.catch(() => undefined); // awaited below; a closed page must not crash the run meanwhile
      // The colleague's own reading of the target column (a scan of every deal in a stock client: ~75 ms on this
      // board) is done before the clock starts, as a Lanes browser keeps its columns: what is timed is the move's
      // way from the colleague to this screen.
      const column = readColumn(colleague.doc, to.id);
      await page.waitForTimeout(50);
      const sent = Date.now();
      moveDeal(colleague.doc, dealId, to.id, 0, { column });
      moveRendered.push((await arrived) - sent);
      await page.waitForTimeout(100);
    }

    const card = page.locator(`section[data-stage-id="${stages[0].id}"] [data-deal-id]`).first();
    const from = (await card.boundingBox())!;
    const target = (await page.locator(`section[data-stage-id="${stages[2].id}"]`).boundingBox())!;
    await page.evaluate(() => {
      const state = window as unknown as { frames: number[]; recording: boolean };
      state.frames = [];
      state.recording = true;
      let last = performance.now();
      const tick = (at: number) => {
        state.frames.push(at - last);
        last = at;
        if (state.recording) requestAnimationFrame(tick);
      };
      requestAnimationFrame((at) => {
        last = at;
        requestAnimationFrame(tick);
      });
    });
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    const steps = 60;
    for (let step = 1; step <= steps; step++) {
      const x = from.x + from.width / 2 + ((target.x + target.width / 2 - (from.x + from.width / 2)) * step) / steps;
      await page.mouse.move(x, from.y + from.height / 2 + 20 * Math.sin(step / 5));
      await page.waitForTimeout(16);
    }
    await page.mouse.up();
    const dragFrames = await page.evaluate(() => {
      const state = window as unknown as { frames: number[]; recording: boolean };
      state.recording = false;
      return state.frames;
    });

    const { first: firstCardReturning, live: liveCardReturning } = await firstCardAfter(page, () => page.reload({ waitUntil: 'commit' }));
    await context.close();
    return { firstCard, liveCard, firstCardReturning, liveCardReturning, domNodes, moveRendered, dragFrames };
  } finally {
    colleague.destroy();
    await browser.close();
  }
}
