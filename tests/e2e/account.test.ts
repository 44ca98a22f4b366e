import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { seriousViolations } from '../support/axe.ts';
import { artifact, browserSuite, E2E_PASSWORD } from '../support/e2e.ts';
import { linkIn, mailboxes } from '../support/mail.ts';

const VIEWPORTS = [
  { label: 'desktop', width: 1440, options: { viewport: { width: 1440, height: 900 } } },
  { label: 'phone', width: 390, options: { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 } }
];

/** How wide the page is: wider than the screen means sideways scrolling of the whole page. */
const pageWidth = (page: Page) => page.evaluate(() => document.scrollingElement!.scrollWidth);

/** Issue #17 "Account and e-mail" in Chromium: each page fits the screen and passes axe-core. */
describe('account pages in Chromium', () => {
  const suite = browserSuite();

  describe.each(VIEWPORTS)('at $label width', ({ label, width, options }) => {
    let context: BrowserContext;
    let page: Page;
    const email = `${label}-${Date.now()}@example.com`;
    const mailbox = () => mailboxes.get(suite.server.url)!;

    /** The page fits the screen, passes axe-core, and is saved as a screenshot. */
    async function checkPage(name: string) {
      expect(await pageWidth(page), `${name} is wider than the screen`).toBeLessThanOrEqual(width);
      expect(await seriousViolations(page), name).toEqual([]);
      await page.screenshot({ path: artifact(`account-${label}-${name}.png`), fullPage: true });
    }

    beforeAll(async () => {
      context = await (suite.browser as Browser).newContext(options);
      page = await context.newPage();
    });
    afterAll(async () => {
      await context?.close();
    });

    it('signs up, confirms the address through the e-mailed link, and lands on the board', async () => {
      await page.goto(`${suite.server.url}/signup`);
      await page.getByLabel('E-mail').fill(email);
      await page.getByLabel('Name').fill('Quinn');
      await page.getByLabel('Password').fill(E2E_PASSWORD);
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.getByRole('heading', { name: 'Check your e-mail' }).waitFor();
      await expect.poll(() => page.getByRole('status').textContent()).toContain(email);
      await checkPage('check-email');

      const mail = await mailbox().waitFor(email, /Confirm your e-mail/);
      await page.goto(linkIn(mail, /^\/verify\//));
      await page.getByRole('heading', { name: 'Finish signing up' }).waitFor();
      await checkPage('confirm');
      await page.getByLabel('Password').fill('not what I chose');
      await page.getByRole('button', { name: 'Confirm and open Lanes' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/not the password you chose/);
      await page.getByLabel('Password').fill(E2E_PASSWORD);
      await page.getByRole('button', { name: 'Confirm and open Lanes' }).click();
      await page.waitForURL(/\/board\//);
      await page.locator('[data-deal-id]').first().waitFor();
    });

    it('changes the display name and the password on the Account page', async () => {
      await page.goto(`${suite.server.url}/account`);
      await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
      await expect.poll(() => page.getByLabel('Display name').inputValue()).toBe('Quinn');
      await checkPage('account');

      await page.getByLabel('Display name').fill('Quinn Harper');
      await page.getByRole('button', { name: 'Save name' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
      const me = await page.evaluate(() => fetch('/api/me').then((response) => response.json()));
      expect(me.user.name).toBe('Quinn Harper');

      await page.getByLabel('Current password').fill('a wrong guess here');
      await page.getByLabel('New password').fill('quinn now uses this phrase');
      await page.getByRole('button', { name: 'Change password' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/not your current password/);
      await checkPage('account-error');
      await page.getByLabel('Current password').fill(E2E_PASSWORD);
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.getByRole('status').filter({ hasText: 'Password changed' }).waitFor();
    });

    it('resets a forgotten password from the sign-in page through the e-mailed link', async () => {
      await page.evaluate(() => fetch('/api/auth/logout', { method: 'POST' }));
      await page.goto(`${suite.server.url}/login`);
      await page.getByRole('link', { name: 'Forgot password?' }).click();
      await page.waitForURL(/\/forgot-password$/);
      await checkPage('forgot');
      await page.getByLabel('E-mail').fill(email);
      await page.getByRole('button', { name: 'Send reset link' }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toMatch(/link to choose a new password is on its way/);
      await checkPage('forgot-sent');

      const mail = await mailbox().waitFor(email, /Reset your Lanes password/);
      await page.goto(linkIn(mail, /^\/reset-password\//));
      await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
      await checkPage('reset');
      await page.getByLabel('New password').fill('password');
      await page.getByRole('button', { name: 'Set new password' }).click();
      await page.getByRole('alert').waitFor();
      await page.getByLabel('New password').fill('quinn resets to this phrase');
      await page.getByRole('button', { name: 'Set new password' }).click();
      await page.getByRole('status').filter({ hasText: 'Your password is changed' }).waitFor();
      await checkPage('reset-done');

      await page.getByRole('link', { name: 'Log in' }).click();
      await page.getByLabel('E-mail').fill(email);
      await page.getByLabel('Password').fill('quinn resets to this phrase');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(/\/board\//);
    });
  });
});
