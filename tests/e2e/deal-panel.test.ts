import { beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { seriousViolations } from '../support/axe.ts';
import { artifact, browserSuite } from '../support/e2e.ts';
import { signUp, signUpColleague, type Account } from '../support/clients.ts';

const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 };
const DESKTOP = { viewport: { width: 1440, height: 900 } };

/** The deal panel beside the meeting toolbar at 1440 px, and full screen on a phone. */
describe('the deal panel, in Chromium', () => {
  const suite = browserSuite();
  let ann: Account;
  let bob: Account;

  async function signedIn(account: Account, options: typeof PHONE | typeof DESKTOP): Promise<{ context: BrowserContext; page: Page }> {
    const context = await suite.browser.newContext(options);
    const [name, value] = account.cookie.split('=');
    await context.addCookies([{ name, value, url: suite.server.url }]);
    const page = await context.newPage();
    await page.goto(`${suite.server.url}/board/${ann.pipelineId}`);
    await page.locator('[data-connection="connected"]').waitFor();
    await page.locator('[data-deal-id]').first().waitFor();
    return { context, page };
  }

  const toolbarHeight = (page: Page) => page.getByRole('toolbar', { name: 'Board tools' }).evaluate((bar) => Math.round(bar.getBoundingClientRect().height));
  const panel = (page: Page) => page.getByRole('dialog', { name: 'Deal details' });
  const handle = (page: Page) => page.getByRole('separator', { name: 'Resize the deal panel' });
  const panelWidth = (page: Page) => panel(page).evaluate((element) => Math.round(element.getBoundingClientRect().width));

  beforeAll(async () => {
    ann = await signUp(suite.server.url, 'Ann Presenter');
    bob = await signUpColleague(suite.server.url, ann, 'Bob Follower');
  });

  for (const [width, options] of [
    ['1440', DESKTOP],
    ['390', PHONE]
  ] as const) {
    it(`at ${width} px, following a presenter who opens a deal keeps the toolbar on the lines it had`, async () => {
      const presenter = await signedIn(ann, DESKTOP);
      const follower = await signedIn(bob, options);
      await presenter.page.getByRole('button', { name: 'Present', exact: true }).click();
      const followButton = follower.page.getByRole('button', { name: 'Follow Ann Presenter' });
      await followButton.waitFor();
      const before = await toolbarHeight(follower.page);
      await followButton.click();
      await follower.page.getByText('Following Ann Presenter').waitFor();
      await presenter.page.locator('[data-deal-id]').first().click();
      await panel(follower.page).waitFor();
      await presenter.page.getByRole('button', { name: 'Spotlight', exact: true }).waitFor();
      // The follower's toolbar now also offers Spotlight and Stop following: it must not grow a line.
      expect(await toolbarHeight(follower.page)).toBe(before);
      if (width === '1440') {
        // The toolbar keeps the whole width: the panel opens below it, not over it.
        const bar = (await follower.page.getByRole('toolbar', { name: 'Board tools' }).boundingBox())!;
        const box = (await panel(follower.page).boundingBox())!;
        expect(Math.round(box.y)).toBe(Math.round(bar.y + bar.height));
        expect(Math.round(bar.width)).toBe(1440);
      }
      expect(await seriousViolations(follower.page)).toEqual([]);
      await follower.page.screenshot({ path: artifact(`following-with-deal-${width}.png`) });
      await presenter.context.close();
      await follower.context.close();
    });
  }

  it('at 1440 px the panel resizes by dragging its edge or with the arrow keys, within bounds, and remembers the width', async () => {
    const { context, page } = await signedIn(ann, DESKTOP);
    await page.locator('[data-deal-id]').first().click();
    await panel(page).waitFor();
    expect(await panelWidth(page)).toBe(380);
    const separator = handle(page);
    expect(await separator.getAttribute('aria-valuenow')).toBe('380');
    expect(await separator.getAttribute('aria-valuemin')).toBe('320');
    expect(await separator.getAttribute('aria-valuemax')).toBe('760');

    // Keyboard: the separator takes focus; Left widens the panel on the right, Right narrows it.
    await separator.focus();
    for (let press = 0; press < 5; press++) await page.keyboard.press('ArrowLeft');
    expect(await panelWidth(page)).toBe(460);
    expect(await separator.getAttribute('aria-valuenow')).toBe('460');
    await page.keyboard.press('ArrowRight');
    expect(await panelWidth(page)).toBe(444);
    await page.keyboard.press('End');
    expect(await panelWidth(page)).toBe(760);
    await page.keyboard.press('Home');
    expect(await panelWidth(page)).toBe(320);

    // Mouse: drag the edge 200 px to the left; the board beside it gives up the same room.
    const edge = (await separator.boundingBox())!;
    await page.mouse.move(edge.x + edge.width / 2, edge.y + 200);
    await page.mouse.down();
    await page.mouse.move(edge.x + edge.width / 2 - 100, edge.y + 200, { steps: 5 });
    await page.mouse.move(edge.x + edge.width / 2 - 200, edge.y + 200, { steps: 5 });
    await page.mouse.up();
    expect(await panelWidth(page)).toBe(520);
    const boardRight = await page.locator('main.board-area').evaluate((main) => Math.round(main.getBoundingClientRect().right));
    expect(boardRight).toBe(1440 - 520);
    // Dragging past the bounds stops at them.
    const wide = (await separator.boundingBox())!;
    await page.mouse.move(wide.x + wide.width / 2, wide.y + 200);
    await page.mouse.down();
    await page.mouse.move(10, wide.y + 200, { steps: 5 });
    await page.mouse.up();
    expect(await panelWidth(page)).toBe(760);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: artifact('deal-panel-resized.png') });

    // Remembered for this user: a reload opens the panel as wide as they left it.
    await page.reload();
    await page.locator('[data-deal-id]').first().click();
    await panel(page).waitFor();
    expect(await panelWidth(page)).toBe(760);
    await context.close();
  });

  it('at 390×844 with touch the full-screen panel is a modal dialog: focus moves in, stays in, Escape closes and focus returns to the card', async () => {
    const { context, page } = await signedIn(ann, PHONE);
    const card = page.locator('[data-deal-id]').first();
    const dealId = (await card.getAttribute('data-deal-id'))!;
    const title = (await card.locator('.title').textContent())!.trim();
    await card.tap();
    const dialog = panel(page);
    await dialog.waitFor();
    // Named after the deal, so a screen reader announces which deal opened; modal while it covers the screen.
    expect(await dialog.getAttribute('aria-label')).toBe(`Deal details: ${title}`);
    expect(await dialog.getAttribute('aria-modal')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('dialog');
    expect(await handle(page).count()).toBe(0);
    const box = (await dialog.boundingBox())!;
    expect([box.x, box.y, box.width]).toEqual([0, 0, 390]);

    // Tab and Shift+Tab go round the panel's controls and never reach the board behind it.
    const focusInside = () => page.evaluate(() => Boolean(document.activeElement?.closest('[role="dialog"]')));
    for (let press = 0; press < 40; press++) {
      await page.keyboard.press('Tab');
      expect(await focusInside(), `after ${press + 1} Tab presses`).toBe(true);
    }
    await dialog.focus();
    await page.keyboard.press('Shift+Tab');
    expect(await focusInside()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Delete deal');
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: artifact('phone-deal-panel.png') });

    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-deal-id'))).toBe(dealId);
    await context.close();
  });
});
