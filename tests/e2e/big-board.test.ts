import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { moveDeal, readColumn, readStages } from '../../shared/board-doc.ts';
import { boardRoom } from '../../shared/rooms.ts';
import { seriousViolations } from '../support/axe.ts';
import { boardPageAs } from '../support/browser.ts';
import { connectClient, signUp, signUpColleague, type Account } from '../support/clients.ts';
import { seedBigBoard } from '../support/big-board.ts';
import { artifact, browserSuite } from '../support/e2e.ts';

/** Cards (and elements) in the DOM stay bounded on a 10,000-deal board: a few dozen per column, not one per deal. */
const MAX_CARDS_IN_DOM = 400;
const MAX_ELEMENTS = 8_000;

const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 };

const column = (page: Page, name: string) => page.locator(`section[data-stage-id][aria-label="${name}"]`);
const scroller = (page: Page, name: string) => column(page, name).locator('[data-column-scroller]');
const domSize = (page: Page) =>
  page.evaluate(() => ({ elements: document.getElementsByTagName('*').length, cards: document.querySelectorAll('[data-deal-id]').length }));
const headerCount = async (page: Page, name: string) => (await column(page, name).locator('header [title^="Deals"]').textContent())!.trim();

describe('a 10,000-deal board in Chromium', () => {
  const suite = browserSuite();
  let ann: Account;
  let bob: Account;
  let dealCount = 0;
  let page: Page;
  let script: ReturnType<typeof connectClient>;

  beforeAll(async () => {
    ann = await signUp(suite.server.url, 'Ann');
    bob = await signUpColleague(suite.server.url, ann, 'Bob');
    ({ dealCount } = await seedBigBoard(suite.server.wsUrl, ann, 10_000));
    // Ann's script, a stock y-websocket client, plays the colleague whose moves Bob sees.
    script = connectClient(suite.server.wsUrl, boardRoom(ann.pipelineId), { token: ann.token });
    await script.synced;
  });

  afterAll(() => script?.destroy());

  it('shows every column with its full count while only a bounded number of cards is in the DOM', async () => {
    ({ page } = await boardPageAs(suite.browser, suite.server.url, bob.cookie, `/board/${ann.pipelineId}`, { width: 1440, height: 900 }));
    await page.getByText('Loading the board…').waitFor({ state: 'detached', timeout: 60_000 });
    const stages = readStages(script.doc);
    let total = 0;
    for (const stage of stages) total += Number(await headerCount(page, stage.name));
    expect(total).toBe(dealCount);
    const size = await domSize(page);
    expect(size.cards).toBeGreaterThan(stages.length);
    expect(size.cards).toBeLessThan(MAX_CARDS_IN_DOM);
    expect(size.elements).toBeLessThan(MAX_ELEMENTS);
    const first = column(page, 'Lead in').getByRole('listitem').first();
    expect(await first.getAttribute('aria-posinset')).toBe('1');
    expect(await first.getAttribute('aria-setsize')).toBe(await headerCount(page, 'Lead in'));
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: artifact('big-board-1440.png') });
  });

  it('scrolling a long column brings its later cards, and the DOM stays bounded', async () => {
    await scroller(page, 'Lead in').evaluate((box) => (box.scrollTop = box.scrollHeight / 2));
    const lead = readColumn(script.doc, readStages(script.doc)[0].id);
    await expect
      .poll(async () => Number(await column(page, 'Lead in').getByRole('listitem').first().getAttribute('aria-posinset')))
      .toBeGreaterThan(lead.length / 4);
    const posinset = Number(await column(page, 'Lead in').getByRole('listitem').nth(2).getAttribute('aria-posinset'));
    expect(await column(page, 'Lead in').getByRole('listitem').nth(2).locator('[data-deal-id]').getAttribute('data-deal-id')).toBe(lead[posinset - 1].id);
    expect((await domSize(page)).cards).toBeLessThan(MAX_CARDS_IN_DOM);
    await scroller(page, 'Lead in').evaluate((box) => (box.scrollTop = 0));
  });

  it('a colleague’s move appears on the board', async () => {
    const [lead, qualified] = readStages(script.doc);
    const dealId = readColumn(script.doc, lead.id)[0].id;
    moveDeal(script.doc, dealId, qualified.id, 0);
    await column(page, 'Qualified').locator(`[data-deal-id="${dealId}"]`).waitFor({ timeout: 10_000 });
    expect(await column(page, 'Lead in').locator(`[data-deal-id="${dealId}"]`).count()).toBe(0);
    expect(await column(page, 'Qualified').getByRole('listitem').first().locator('[data-deal-id]').getAttribute('data-deal-id')).toBe(dealId);
  });

  it('a card dragged with the mouse lands at the place dropped in a long column', async () => {
    const stages = readStages(script.doc);
    const demo = stages[2];
    const card = column(page, 'Qualified').locator('[data-deal-id]').first();
    const dealId = (await card.getAttribute('data-deal-id'))!;
    // Drop on the upper part of Demo's fourth card: the deal lands fourth, before it.
    const fourth = column(page, 'Demo').getByRole('listitem').nth(3).locator('[data-deal-id]');
    await card.dragTo(fourth, { targetPosition: { x: 40, y: 6 } });
    await expect.poll(() => readColumn(script.doc, demo.id).findIndex((deal) => deal.id === dealId), { timeout: 10_000 }).toBe(3);
    await expect.poll(() => column(page, 'Demo').getByRole('listitem').nth(3).locator('[data-deal-id]').getAttribute('data-deal-id')).toBe(dealId);
  });

  it('dragging near a column’s bottom edge scrolls it, and the card drops far down the column', async () => {
    const stages = readStages(script.doc);
    const card = column(page, 'Demo').locator('[data-deal-id]').first();
    const dealId = (await card.getAttribute('data-deal-id'))!;
    const from = (await card.boundingBox())!;
    const box = (await scroller(page, 'Proposal').boundingBox())!;
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    const bottom = box.y + box.height - 6;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 5 });
    for (let i = 0; i < 40; i++) {
      await page.mouse.move(box.x + box.width / 2 + (i % 2 ? 2 : -2), bottom);
      await page.waitForTimeout(20);
    }
    const scrolled = await scroller(page, 'Proposal').evaluate((element) => element.scrollTop);
    expect(scrolled).toBeGreaterThan(200);
    // Back up from the edge (the column stops scrolling) and let go among the cards it scrolled to.
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
    await page.screenshot({ path: artifact('big-board-edge-drag.png') });
    await page.mouse.up();
    const where = () => {
      const stageId = (script.doc.getMap('deals').get(dealId) as { get(key: string): unknown } | undefined)?.get('stageId');
      const stage = stages.find((candidate) => candidate.id === stageId);
      return `${stage?.name} #${stage ? readColumn(script.doc, stage.id).findIndex((deal) => deal.id === dealId) : -1}`;
    };
    // The poll's last value says where the card is when it fails ("Demo #0": the drop was refused).
    await expect.poll(where, { timeout: 10_000 }).toMatch(/^Proposal #([4-9]|\d\d+)$/);
  });

  it('search finds a deal thousands down its column, counts the matches, and brings it into view', async () => {
    const stages = readStages(script.doc);
    const negotiation = readColumn(script.doc, stages[4].id);
    const wanted = negotiation[Math.floor(negotiation.length * 0.8)];
    const query = wanted.title.split(' ').slice(0, 2).join(' '); // "Deal 8123": one deal (its number is unique)
    await page.getByLabel('Search deals').fill(query);
    await expect.poll(() => headerCount(page, 'Negotiation')).toBe(`1 of ${negotiation.length}`);
    expect(await headerCount(page, 'Lead in')).toMatch(/^0 of /);
    const found = column(page, 'Negotiation').locator(`[data-deal-id="${wanted.id}"]`);
    await found.waitFor();
    expect(await found.getAttribute('class')).not.toContain('muted');
    expect(await found.isVisible()).toBe(true);
    expect((await domSize(page)).cards).toBeLessThan(MAX_CARDS_IN_DOM);
    await page.getByLabel('Search deals').fill('');
  });

  it('keyboard: arrows walk a column, and a card lifted with Space is dropped further down it', async () => {
    const stages = readStages(script.doc);
    const lead = readColumn(script.doc, stages[0].id);
    await column(page, 'Lead in').locator(`[data-deal-id="${lead[0].id}"]`).focus();
    for (let i = 0; i < 30; i++) await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-deal-id'))).toBe(lead[30].id);
    await page.keyboard.press('Space');
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Space');
    await expect.poll(() => readColumn(script.doc, stages[0].id).findIndex((deal) => deal.id === lead[30].id), { timeout: 10_000 }).toBe(35);
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-deal-id'))).toBe(lead[30].id);
  });

  /** Hold the sync socket's messages from the server until `release()`: the doc is on its way, not here yet. */
  async function holdSync(target: Page): Promise<() => void> {
    let held = true;
    const queue: Array<() => void> = [];
    await target.routeWebSocket(/\/ws\//, (socket) => {
      const server = socket.connectToServer();
      server.onMessage((message) => (held ? queue.push(() => socket.send(message)) : socket.send(message)));
    });
    return () => {
      held = false;
      for (const send of queue.splice(0)) send();
    };
  }

  for (const [label, options] of [
    ['1440 px', { viewport: { width: 1440, height: 900 } }],
    ['a 390×844 phone', PHONE]
  ] as const) {
    it(`paints the first page at once, read-only, and the live board replaces it (${label}); a returning browser paints its kept page`, async () => {
      const context = await suite.browser.newContext(options);
      const [name, value] = bob.cookie.split('=');
      await context.addCookies([{ name, value, url: suite.server.url }]);
      const visit = await context.newPage();
      const release = await holdSync(visit);
      await visit.goto(`${suite.server.url}/board/${ann.pipelineId}`);
      const firstPage = visit.locator('[data-first-page]');
      await firstPage.waitFor({ timeout: 30_000 });
      await visit.getByText('Loading the rest of the board…').waitFor();
      // Nothing to change while only the first page is here: no live cards, no add buttons, no undo.
      expect(await visit.locator('[data-deal-id]').count()).toBe(0);
      expect(await visit.getByRole('button', { name: /^Add deal/ }).count()).toBe(0);
      const stages = readStages(script.doc);
      for (const stage of stages) {
        const section = visit.locator(`section[data-first-page-stage="${stage.id}"]`);
        const deals = readColumn(script.doc, stage.id);
        expect((await section.locator('header [title="Deals"]').textContent())!.trim()).toBe(String(deals.length));
        const shown = await section.locator('[data-first-page-deal]').evaluateAll((cards) => cards.map((card) => card.getAttribute('data-first-page-deal')));
        expect(shown.length).toBeGreaterThan(0);
        expect(shown).toEqual(deals.slice(0, shown.length).map((deal) => deal.id));
      }
      expect(await seriousViolations(visit)).toEqual([]);
      await visit.screenshot({ path: artifact(`big-board-first-page-${options.viewport.width}.png`) });

      // The doc arrives: the live board takes the first page's place, with the same first cards, and is editable.
      release();
      await firstPage.waitFor({ state: 'detached', timeout: 60_000 });
      const lead = readColumn(script.doc, stages[0].id);
      expect(await column(visit, stages[0].name).locator('[data-deal-id]').first().getAttribute('data-deal-id')).toBe(lead[0].id);
      expect(Number(await headerCount(visit, stages[0].name))).toBe(lead.length);
      await visit.locator('[data-connection="connected"]').waitFor();
      expect(await visit.getByRole('button', { name: `Add deal to ${stages[0].name}` }).count()).toBe(1);

      // The live board kept its first page on this device; the next visit paints it before the doc (the server's
      // page is refused here, so what shows is the kept one), then the live board from the IndexedDB copy.
      await expect
        .poll(() => visit.evaluate(() => Object.keys(localStorage).some((key) => key.startsWith('lanes:first-page:'))), { timeout: 15_000 })
        .toBe(true);
      await visit.close();
      const again = await context.newPage();
      await again.route('**/first-page', (route) => route.abort());
      await holdSync(again);
      // The kept page may give way to the IndexedDB copy within a moment: note its first cards as it appears.
      await again.addInitScript({
        content: `new MutationObserver((_, observer) => {
          const cards = [...document.querySelectorAll('[data-first-page-stage]')].map((section) => [section.dataset.firstPageStage, section.querySelector('[data-first-page-deal]')?.dataset.firstPageDeal]);
          if (cards.length && cards.every(([, id]) => id)) {
            window.keptFirstCards = Object.fromEntries(cards);
            observer.disconnect();
          }
        }).observe(document, { childList: true, subtree: true });`
      });
      await again.goto(`${suite.server.url}/board/${ann.pipelineId}`);
      await column(again, stages[0].name).locator('[data-deal-id]').first().waitFor({ timeout: 60_000 });
      const kept = (await again.evaluate('window.keptFirstCards')) as Record<string, string> | undefined;
      expect(kept).toEqual(Object.fromEntries(stages.map((stage) => [stage.id, readColumn(script.doc, stage.id)[0].id])));
      await again.locator('[data-first-page]').waitFor({ state: 'detached', timeout: 60_000 });
      await column(again, stages[0].name).locator('[data-deal-id]').first().waitFor();
      await context.close();
    });
  }

  it('on a phone: one stage at a time, a bounded DOM, the Move menu works, and axe-core is clean', async () => {
    const context = await suite.browser.newContext(PHONE);
    const [name, value] = bob.cookie.split('=');
    await context.addCookies([{ name, value, url: suite.server.url }]);
    const phone = await context.newPage();
    await phone.goto(`${suite.server.url}/board/${ann.pipelineId}`);
    await phone.locator('[data-deal-id]').first().waitFor({ timeout: 60_000 });
    await phone.getByText('Loading the board…').waitFor({ state: 'detached', timeout: 60_000 });
    expect(await phone.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(390);
    expect((await domSize(phone)).cards).toBeLessThan(MAX_CARDS_IN_DOM);
    const stages = readStages(script.doc);
    const switcher = phone.getByRole('navigation', { name: 'Stages' });
    expect(await switcher.getByRole('button', { name: /^Lead in/ }).textContent()).toContain(String(readColumn(script.doc, stages[0].id).length));
    expect(await seriousViolations(phone)).toEqual([]);
    await phone.screenshot({ path: artifact('big-board-phone.png') });

    const card = column(phone, 'Lead in').locator('[data-deal-id]').first();
    const dealId = (await card.getAttribute('data-deal-id'))!;
    const title = (await card.locator('.title').textContent())!;
    await column(phone, 'Lead in').getByRole('button', { name: `Move ${title} to another stage` }).tap();
    const sheet = phone.getByRole('dialog', { name: 'Move to stage' });
    await sheet.getByRole('button', { name: 'Proposal' }).tap();
    await expect.poll(() => readColumn(script.doc, stages[3].id)[0]?.id, { timeout: 10_000 }).toBe(dealId);
    await context.close();
  });
});
