import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { artifact, browserSuite, signUpInBrowser } from '../support/e2e.ts';

/** Every console message and page error about the Content-Security-Policy, from the moment the page opens. */
function watchCsp(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/content security policy/i.test(message.text())) violations.push(message.text());
  });
  page.on('pageerror', (error) => {
    if (/content security policy/i.test(error.message)) violations.push(error.message);
  });
  return violations;
}

describe('the app under its Content-Security-Policy, and the API tokens section, in Chromium', () => {
  const suite = browserSuite();

  for (const viewport of [
    { label: 'desktop', width: 1440, height: 900, touch: false },
    { label: 'phone', width: 390, height: 844, touch: true }
  ]) {
    it(`boots, edits notes and manages API tokens with no CSP violation (${viewport.label}, ${viewport.width} px)`, async () => {
      const context = await suite.browser.newContext({ viewport: { width: viewport.width, height: viewport.height }, hasTouch: viewport.touch, isMobile: viewport.touch });
      const page = await context.newPage();
      const violations = watchCsp(page);
      page.on('dialog', (dialog) => void dialog.accept());
      await signUpInBrowser(page, suite.server.url, `Csp${viewport.label}`);
      await page.locator('[data-deal-id]').first().waitFor();
      // The notes editor (CodeMirror) injects its styles at run time: it must still work.
      await page.locator('[data-deal-id]').first().click();
      await page.locator('.cm-content').first().waitFor();

      await page.goto(`${suite.server.url}/settings`);
      const tokens = page.locator('section[aria-labelledby="tokens-heading"]');
      await tokens.getByText('You have no API tokens.').waitFor();
      await tokens.getByLabel('Name of the new token').fill('CRM import');
      await tokens.getByRole('button', { name: 'Create token' }).click();
      const secret = await tokens.getByLabel('New API token').inputValue();
      expect(secret).toMatch(/^lanes_/);
      await tokens.getByRole('listitem').filter({ hasText: 'CRM import' }).waitFor();
      await page.screenshot({ path: artifact(`settings-tokens-${viewport.label}.png`), fullPage: true });
      // The token works for a script until it is revoked here.
      const meWith = (token: string) => fetch(`${suite.server.url}/api/me`, { headers: { authorization: `Bearer ${token}` } }).then((response) => response.status);
      expect(await meWith(secret)).toBe(200);
      // The section fits the screen: nothing in it sticks out or needs sideways scrolling.
      const fit = await tokens.evaluate((section) => ({ right: section.getBoundingClientRect().right, overflow: section.scrollWidth - section.clientWidth }));
      expect(fit.right).toBeLessThanOrEqual(viewport.width);
      expect(fit.overflow).toBeLessThanOrEqual(0);

      await tokens.getByRole('button', { name: 'Revoke token CRM import' }).click();
      await tokens.getByText('You have no API tokens.').waitFor();
      expect(await meWith(secret)).toBe(401);
      expect(violations).toEqual([]);
      await context.close();
    });
  }
});
