import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import * as Y from 'yjs';
import { addDeal, readStages } from '../../shared/board-doc.ts';
import { boardRoom } from '../../shared/rooms.ts';
import { openDb } from '../../server/store/db.ts';
import { appendUpdates, loadRoomState } from '../../server/store/update-log.ts';
import { seriousViolations } from '../support/axe.ts';
import { launchChromium } from '../support/browser.ts';
import { artifact } from '../support/e2e.ts';
import { signUp, type Account } from '../support/clients.ts';
import { pgliteStorage, ServerProcess, type Storage } from '../support/server-process.ts';

const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 };

/** Records written before the server checked every change: planted in the stored board while the server is down. */
async function plantBrokenDeals(storage: Storage, room: string): Promise<void> {
  const db = await openDb({ databaseUrl: storage.env.DATABASE_URL, dataDir: storage.env.DATA_DIR ?? '' });
  try {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, (await loadRoomState(db, room))!);
    const before = Y.encodeStateVector(doc);
    const stage = readStages(doc)[0].id;
    const deals = doc.getMap<Y.Map<unknown>>('deals');
    const broken = (title: string, change: (deal: Y.Map<unknown>) => void) => change(deals.get(addDeal(doc, stage, { title, value: 10 }))!);
    broken('Number title', (deal) => deal.set('title', 42));
    broken('String value', (deal) => deal.set('value', 'a lot of money, more than anyone has ever written in a value field'));
    broken('Tags not a map', (deal) => deal.set('tags', ['vip']));
    await appendUpdates(db, [{ room, data: Y.encodeStateAsUpdate(doc, before), userId: null, at: Date.now() }]);
  } finally {
    await db.close();
  }
}

const pageWidth = (page: Page) => page.evaluate(() => document.scrollingElement!.scrollWidth);
/** Elements of the notice or dialog that stick out of the screen on the right. */
const overflowing = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('[data-testid="record-problems"], [data-testid="record-problems"] *, .record-problems-dialog, .record-problems-dialog *')]
      .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5)
      .map((element) => `${element.tagName.toLowerCase()}.${element.className}`)
  );

describe('records that could not be shown, on a phone (390×844, touch)', () => {
  let storage: Storage;
  let server: ServerProcess;
  let browser: Browser;
  let admin: Account;

  beforeAll(async () => {
    mkdirSync(artifact(''), { recursive: true });
    storage = pgliteStorage();
    server = await ServerProcess.start(storage);
    admin = await signUp(server.url, 'Ann Admin');
    // PGlite is one process's: the server stops while the old records are written, as an upgrade would find them.
    await server.stop();
    await plantBrokenDeals(storage, boardRoom(admin.pipelineId));
    server = await ServerProcess.start(storage);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await storage?.dispose();
  });

  it('the notice and the review dialog fit the screen, take focus as a dialog should, and pass axe-core', async () => {
    const context = await browser.newContext(PHONE);
    const [name, value] = admin.cookie.split('=');
    await context.addCookies([{ name, value, url: server.url }]);
    const page = await context.newPage();
    await page.goto(`${server.url}/board/${admin.pipelineId}`);
    const notice = page.getByTestId('record-problems');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('3 records could not be shown');
    expect(await pageWidth(page)).toBeLessThanOrEqual(390);
    expect(await overflowing(page)).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);

    const review = page.getByRole('button', { name: 'Review' });
    await review.tap();
    const dialog = page.getByRole('dialog', { name: 'Records that could not be shown' });
    await dialog.waitFor();
    // Full screen and modal on a phone: the list is read where it has room, and focus starts in it.
    const box = (await dialog.boundingBox())!;
    expect([box.x, box.width]).toEqual([0, 390]);
    expect(await dialog.getAttribute('aria-modal')).toBe('true');
    expect(await page.evaluate(() => Boolean(document.activeElement?.closest('[role="dialog"]')))).toBe(true);
    expect(await pageWidth(page)).toBeLessThanOrEqual(390);
    expect(await overflowing(page)).toEqual([]);
    // Every Repair and Remove button can be tapped: on screen and at least 24 px each way (WCAG 2.2 target size).
    const targets = await dialog.getByRole('button').evaluateAll((buttons) => buttons.map((button) => button.getBoundingClientRect()).map((rect) => [rect.width, rect.height]));
    for (const [width, height] of targets) expect(Math.min(width, height)).toBeGreaterThanOrEqual(24);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: artifact('phone-record-problems.png') });

    // Escape closes it and focus goes back to Review.
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Review');

    // Removing a record works from the phone.
    await review.tap();
    await dialog.getByRole('button', { name: /^Remove/ }).first().tap();
    await expect.poll(() => notice.textContent()).toContain('2 records could not be shown');
    await context.close();
  });
});
