import { beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { seriousViolations } from '../support/axe.ts';
import { artifact, browserSuite } from '../support/e2e.ts';
import { api, signUp, signUpColleague, type Account } from '../support/clients.ts';

const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 };
const DESKTOP = { viewport: { width: 1440, height: 900 } };

const pageWidth = (page: Page) => page.evaluate(() => document.scrollingElement!.scrollWidth);

/** The app's shell and its error pages, signed in, at desktop and phone width. */
describe('the app shell and error pages, in Chromium', () => {
  const suite = browserSuite();
  let admin: Account;
  let viewer: Account;
  let limitedPipelineId: string;

  async function signedIn(account: Account, options: typeof PHONE | typeof DESKTOP): Promise<{ context: BrowserContext; page: Page }> {
    const context = await suite.browser.newContext(options);
    const [name, value] = account.cookie.split('=');
    await context.addCookies([{ name, value, url: suite.server.url }]);
    return { context, page: await context.newPage() };
  }

  beforeAll(async () => {
    admin = await signUp(suite.server.url, 'Ann Admin');
    viewer = await signUpColleague(suite.server.url, admin, 'Vic Viewer', 'viewer');
    const stages = [
      { name: 'Kick-off', probability: 20, outcome: 'open' },
      { name: 'Live', probability: 100, outcome: 'won' },
      { name: 'Dropped', probability: 0, outcome: 'lost' }
    ];
    const created = await api(suite.server.url, `/api/workspaces/${admin.workspaceId}/pipelines`, {
      method: 'POST',
      body: { name: 'Onboarding', stages, allowedRoles: ['support'] },
      cookie: admin.cookie
    });
    expect(created.status).toBe(201);
    limitedPipelineId = created.json.id;
  });

  it('at 1440 px: one navigation with pipelines, Settings and Account, the workspace name, the current place marked, a user menu with sign-out', async () => {
    const { context, page } = await signedIn(admin, DESKTOP);
    await page.goto(`${suite.server.url}/board/${admin.pipelineId}`);
    await page.locator('[data-connection="connected"]').waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByLabel('Pipeline').inputValue()).toBe(admin.pipelineId);
    expect(await nav.getByRole('link', { name: 'Account' }).getAttribute('href')).toBe('/account');
    expect(await page.locator('header').getByText("Ann Admin's team").count()).toBeGreaterThan(0);
    expect(await page.getByRole('button', { name: 'Menu', exact: true }).isVisible()).toBe(false);
    // The header keeps to one row at this width.
    expect(Math.round((await page.locator('header.top').boundingBox())!.height)).toBe(56);
    expect(await seriousViolations(page)).toEqual([]);

    // Keyboard: Tab reaches Settings, Enter follows it, and Settings is marked as the current place.
    await nav.getByRole('link', { name: 'Settings' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Settings' }).getAttribute('aria-current')).toBe('page');
    expect(await seriousViolations(page)).toEqual([]);

    // The user menu opens from the keyboard, shows who is signed in and Log out; Escape closes it.
    const userButton = page.getByRole('button', { name: /account menu/ });
    await userButton.focus();
    await page.keyboard.press('Enter');
    expect(await userButton.getAttribute('aria-expanded')).toBe('true');
    await page.getByRole('button', { name: 'Log out', exact: true }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: artifact('shell-desktop-user-menu.png') });
    await page.keyboard.press('Escape');
    expect(await userButton.getAttribute('aria-expanded')).toBe('false');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-controls'))).toBe('user-menu');
    await context.close();
  });

  it('at 390 px the navigation folds behind a Menu button and the page keeps to the screen', async () => {
    const { context, page } = await signedIn(admin, PHONE);
    await page.goto(`${suite.server.url}/board/${admin.pipelineId}`);
    await page.locator('[data-connection="connected"]').waitFor();
    const settings = page.getByRole('link', { name: 'Settings' });
    expect(await settings.isVisible()).toBe(false);
    expect(await pageWidth(page)).toBeLessThanOrEqual(390);
    expect(await seriousViolations(page)).toEqual([]);
    const menu = page.getByRole('button', { name: 'Menu', exact: true });
    await menu.tap();
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    expect(await page.getByRole('link', { name: 'Account' }).isVisible()).toBe(true);
    expect(await pageWidth(page)).toBeLessThanOrEqual(390);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: artifact('shell-phone-menu.png') });
    await settings.tap();
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    await context.close();
  });

  for (const [width, options] of [
    ['1440', DESKTOP],
    ['390', PHONE]
  ] as const) {
    it(`at ${width} px, /no-such-page and /settings/no-such-tab are 404 pages with the app's header and a way back`, async () => {
      const { context, page } = await signedIn(admin, options);
      for (const [path, heading] of [
        ['/no-such-page', 'Page not found'],
        ['/settings/no-such-tab', 'No such settings page']
      ]) {
        await page.goto(suite.server.url + path);
        await page.getByRole('heading', { name: heading }).waitFor();
        expect(await page.getByText('Error 404').count()).toBe(1);
        // The header asks who is signed in after the page shows: wait for its account menu.
        await page.locator('header').getByRole('button', { name: /account menu/ }).waitFor();
        expect(await pageWidth(page)).toBeLessThanOrEqual(Number(width));
        expect(await seriousViolations(page)).toEqual([]);
        await page.screenshot({ path: artifact(`error-404${path.replaceAll('/', '-')}-${width}.png`) });
      }
      await page.getByRole('link', { name: 'Go to your boards' }).click();
      await page.waitForURL(/\/board\//);
      await context.close();
    });

    it(`at ${width} px, a pipeline the viewer's role cannot open says so, and a board the server cannot load says that`, async () => {
      const { context, page } = await signedIn(viewer, options);
      await page.goto(`${suite.server.url}/board/${limitedPipelineId}`);
      await page.getByRole('heading', { name: 'Your role cannot open this pipeline' }).waitFor();
      expect(await page.getByText('Your role (Viewer) cannot open this pipeline; ask an admin').count()).toBe(1);
      expect(await page.getByText('Error 403').count()).toBe(1);
      expect(await pageWidth(page)).toBeLessThanOrEqual(Number(width));
      expect(await seriousViolations(page)).toEqual([]);
      await page.screenshot({ path: artifact(`error-403-role-${width}.png`) });

      await page.goto(`${suite.server.url}/board/no-such-pipeline`);
      await page.getByRole('heading', { name: 'Pipeline not found' }).waitFor();
      expect(await page.getByText('Error 404').count()).toBe(1);

      await page.route('**/api/pipelines', (route) => route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":"internal","reason":"boom"}' }));
      await page.goto(`${suite.server.url}/board/${viewer.pipelineId}`);
      await page.getByRole('heading', { name: 'Could not load this board' }).waitFor();
      expect(await page.getByText('Error 500').count()).toBe(1);
      expect(await seriousViolations(page)).toEqual([]);
      await context.close();
    });
  }
});
