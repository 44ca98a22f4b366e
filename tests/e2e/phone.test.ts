import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { seriousViolations } from '../support/axe.ts';
import { artifact, browserSuite, signUpInBrowser } from '../support/e2e.ts';

const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 };
const DESKTOP = { width: 1440, height: 900 };

/** How wide the page is: wider than the screen means sideways scrolling of the whole page. */
const pageWidth = (page: Page) => page.evaluate(() => document.scrollingElement!.scrollWidth);

/** Stage columns that show on screen, even in part. */
const columnsOnScreen = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('section[data-stage-id]')]
      .filter((column) => {
        const box = column.getBoundingClientRect();
        return box.width > 0 && box.right > 0 && box.left < window.innerWidth;
      })
      .map((column) => column.getAttribute('aria-label'))
  );

const column = (page: Page, name: string) => page.locator(`section[data-stage-id][aria-label="${name}"]`);

describe('Lanes on a phone (390×844, touch)', () => {
  const suite = browserSuite();
  let ann: Page; // at her desk, 1440 px
  let bob: Page; // on his phone
  let boardUrl: string;

  async function phonePage(): Promise<Page> {
    return (await suite.browser.newContext(PHONE)).newPage();
  }

  beforeAll(async () => {
    ann = await suite.newPage(DESKTOP);
    await signUpInBrowser(ann, suite.server.url, 'Ann');
    await ann.locator('[data-deal-id]').first().waitFor();
    boardUrl = ann.url();
    bob = await phonePage();
  });

  it('sign-in and sign-up fit the screen and pass axe-core', async () => {
    const page = await phonePage();
    for (const path of ['/login', '/signup']) {
      await page.goto(suite.server.url + path);
      await page.getByLabel('Password').waitFor();
      expect(await pageWidth(page)).toBeLessThanOrEqual(390);
      expect(await seriousViolations(page)).toEqual([]);
      await page.screenshot({ path: artifact(`phone${path.replace('/', '-')}.png`), fullPage: true });
    }
    await page.context().close();
  });

  it('a colleague joins from his phone and the board shows one stage at a time, with a stage switcher', async () => {
    await ann.getByRole('link', { name: 'Settings' }).click();
    await ann.getByRole('button', { name: 'Create invite link' }).click();
    const inviteUrl = (await ann.locator('[data-invite-url]').first().getAttribute('data-invite-url'))!;
    await ann.goto(boardUrl);
    await ann.locator('[data-connection="connected"]').waitFor();

    await signUpInBrowser(bob, suite.server.url, 'Bob', new URL(inviteUrl).pathname.replace(/^\/invite\//, '/signup?invite='));
    await bob.waitForURL(boardUrl);
    await bob.locator('[data-connection="connected"]').waitFor();
    expect(await pageWidth(bob)).toBeLessThanOrEqual(390);
    expect(await columnsOnScreen(bob)).toEqual(['Lead in']);
    const switcher = bob.getByRole('navigation', { name: 'Stages' });
    await expect(switcher.locator('[aria-current="true"]').textContent()).resolves.toMatch(/Lead in/);
    await bob.screenshot({ path: artifact('phone-board.png') });

    await switcher.getByRole('button', { name: /^Qualified/ }).tap();
    await expect.poll(() => columnsOnScreen(bob)).toEqual(['Qualified']);
    await expect.poll(() => switcher.locator('[aria-current="true"]').textContent()).toMatch(/Qualified/);
    expect(await pageWidth(bob)).toBeLessThanOrEqual(390);
  });

  it('swiping the board sideways goes to the next stage, and the switcher follows', async () => {
    const board = bob.locator('.board');
    const box = (await board.boundingBox())!;
    // A finger swiping right to left: touch events through the DevTools protocol, as a phone sends them.
    const session = await bob.context().newCDPSession(bob);
    const y = box.y + 200;
    const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', x: number) => session.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : [{ x, y }] });
    await touch('touchStart', box.x + 330);
    for (let x = 310; x >= 90; x -= 20) await touch('touchMove', box.x + x);
    await touch('touchEnd', box.x + 90);
    await expect.poll(() => columnsOnScreen(bob), { timeout: 5_000 }).toEqual(['Demo']);
    await expect.poll(() => bob.getByRole('navigation', { name: 'Stages' }).locator('[aria-current="true"]').textContent()).toMatch(/Demo/);
  });

  it('a deal opens full screen, and closes back to the board', async () => {
    const card = column(bob, 'Demo').locator('[data-deal-id]').first();
    await card.tap();
    const panel = bob.getByRole('dialog', { name: 'Deal details' });
    await panel.waitFor();
    expect(await panel.boundingBox()).toMatchObject({ x: 0, y: 0, width: 390, height: 844 });
    expect(await pageWidth(bob)).toBeLessThanOrEqual(390);
    expect(await seriousViolations(bob)).toEqual([]);
    await bob.screenshot({ path: artifact('phone-deal.png') });
    await panel.getByRole('button', { name: 'Close deal details' }).tap();
    await panel.waitFor({ state: 'detached' });
    expect(await columnsOnScreen(bob)).toEqual(['Demo']);
  });

  it('a deal moved by touch from the "Move to stage" menu moves on the colleague’s board too', async () => {
    const card = column(bob, 'Demo').locator('[data-deal-id]').first();
    const dealId = (await card.getAttribute('data-deal-id'))!;
    const title = (await card.locator('.title').textContent())!;
    await column(bob, 'Demo').getByRole('button', { name: `Move ${title} to another stage` }).tap();
    const sheet = bob.getByRole('dialog', { name: 'Move to stage' });
    await sheet.waitFor();
    expect(await sheet.getByRole('button', { name: /^Demo/ }).isDisabled()).toBe(true);
    expect(await seriousViolations(bob)).toEqual([]);
    await bob.screenshot({ path: artifact('phone-move-menu.png') });
    await sheet.getByRole('button', { name: 'Proposal' }).tap();
    await sheet.waitFor({ state: 'detached' });

    await expect.poll(() => column(bob, 'Demo').locator(`[data-deal-id="${dealId}"]`).count()).toBe(0);
    expect(await column(bob, 'Proposal').locator('[data-deal-id]').first().getAttribute('data-deal-id')).toBe(dealId);
    await expect.poll(() => column(ann, 'Proposal').locator(`[data-deal-id="${dealId}"]`).count(), { timeout: 5_000 }).toBe(1);
    expect(await column(ann, 'Demo').locator(`[data-deal-id="${dealId}"]`).count()).toBe(0);
    await expect(bob.getByTestId('move-announcement').textContent()).resolves.toBe(`Moved ${title} to Proposal.`);
  });

  it('a long press lifts a card; carried onto a stage in the switcher it moves there, for the colleague too', async () => {
    // The top bar is one line shorter once the last move is saved: measure after that, so nothing shifts mid-drag.
    await expect.poll(() => bob.getByTestId('pending-changes').count()).toBe(0);
    const card = column(bob, 'Demo').locator('[data-deal-id]').first();
    const dealId = (await card.getAttribute('data-deal-id'))!;
    const from = (await card.boundingBox())!;
    const to = (await bob.getByRole('navigation', { name: 'Stages' }).getByRole('button', { name: /^Qualified/ }).boundingBox())!;
    expect(to.x + to.width).toBeLessThanOrEqual(390); // on screen, where a finger can reach it
    const session = await bob.context().newCDPSession(bob);
    const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', x: number, y: number) =>
      session.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : [{ x, y }] });
    const start = { x: from.x + from.width / 2, y: from.y + 30 };
    const end = { x: to.x + to.width / 2, y: to.y + to.height / 2 };
    await touch('touchStart', start.x, start.y);
    await expect.poll(() => card.getAttribute('class')).toContain('dragging'); // held still: the card lifts
    for (let step = 1; step <= 10; step++) {
      await touch('touchMove', start.x + ((end.x - start.x) * step) / 10, start.y + ((end.y - start.y) * step) / 10);
    }
    await touch('touchEnd', end.x, end.y);

    await expect.poll(() => column(bob, 'Qualified').locator('[data-deal-id]').first().getAttribute('data-deal-id')).toBe(dealId);
    await expect.poll(() => column(ann, 'Qualified').locator(`[data-deal-id="${dealId}"]`).count(), { timeout: 5_000 }).toBe(1);
    expect(await bob.getByRole('dialog').count()).toBe(0); // letting go after a drag does not open the deal
  });

  it('Settings fits the screen and passes axe-core', async () => {
    // On a phone the app's navigation folds behind the Menu button.
    await bob.getByRole('button', { name: 'Menu', exact: true }).tap();
    await bob.getByRole('link', { name: 'Settings' }).tap();
    await bob.getByRole('heading', { name: 'Members' }).waitFor();
    await expect.poll(() => bob.locator('tr[data-member-id]').count()).toBe(2);
    expect(await pageWidth(bob)).toBeLessThanOrEqual(390);
    expect(await seriousViolations(bob)).toEqual([]);
    await bob.screenshot({ path: artifact('phone-settings.png'), fullPage: true });

    // An admin's Settings has more in it (invites, pipelines): that fits too.
    const annOnPhone = await phonePage();
    await annOnPhone.context().addCookies(await ann.context().cookies());
    await annOnPhone.goto(`${suite.server.url}/settings`);
    await annOnPhone.getByRole('heading', { name: 'Pipelines' }).waitFor();
    expect(await pageWidth(annOnPhone)).toBeLessThanOrEqual(390);
    expect(await seriousViolations(annOnPhone)).toEqual([]);
    await annOnPhone.screenshot({ path: artifact('phone-settings-admin.png'), fullPage: true });
    await annOnPhone.context().close();
  });

  it('at desktop width the board with a deal open and Settings pass axe-core too', async () => {
    await ann.goto(boardUrl);
    await ann.locator('[data-connection="connected"]').waitFor();
    expect(await seriousViolations(ann)).toEqual([]);
    await ann.locator('[data-deal-id]').first().click();
    await ann.getByRole('dialog', { name: 'Deal details' }).waitFor();
    expect(await seriousViolations(ann)).toEqual([]);
    await ann.screenshot({ path: artifact('desktop-deal.png') });
    await ann.goto(`${suite.server.url}/settings`);
    await ann.getByRole('heading', { name: 'Pipelines' }).waitFor();
    expect(await seriousViolations(ann)).toEqual([]);
    const signIn = await suite.newPage(DESKTOP);
    await signIn.goto(`${suite.server.url}/login`);
    await signIn.getByLabel('Password').waitFor();
    expect(await seriousViolations(signIn)).toEqual([]);
  });
});
