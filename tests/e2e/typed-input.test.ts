import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { artifact, browserSuite, signUpInBrowser } from '../support/e2e.ts';

/** What people type into amounts and dates, read in a real Chromium (whose date field reports per segment). */
describe('typed amounts and close dates, in Chromium', () => {
  const suite = browserSuite();
  let page: Page;
  let phone: Page;

  beforeAll(async () => {
    page = await suite.newPage({ width: 1440, height: 900 });
    await signUpInBrowser(page, suite.server.url, 'Ann');
    await page.locator('[data-deal-id]').first().waitFor();
  });

  const panel = () => page.getByRole('dialog', { name: 'Deal details' });

  /** The close date as a fresh page (another session of Ann's) loads it from the server. */
  async function storedCloseDate(): Promise<string> {
    const other = await page.context().newPage();
    await other.goto(page.url());
    await openFirstDeal(other);
    const date = await other.getByRole('dialog', { name: 'Deal details' }).getByLabel('Expected close date').inputValue();
    await other.close();
    return date;
  }

  async function openFirstDeal(on: Page) {
    await on.locator('section[aria-label="Lead in"] [data-deal-id]').first().click();
    await on.getByRole('dialog', { name: 'Deal details' }).waitFor();
  }

  it('adds a deal typed as "12k", showing "= $12,000" first', async () => {
    await page.getByRole('button', { name: 'Add deal to Lead in' }).click();
    await page.getByLabel('Deal title').fill('Typed in thousands');
    await page.getByLabel('Deal value').fill('12k');
    await expect.poll(() => page.locator('output').first().textContent()).toBe('= $12,000');
    await page.screenshot({ path: artifact('add-deal-amount-1440.png') });
    await page.getByRole('button', { name: 'Add deal', exact: true }).click();
    const card = page.locator('[data-deal-id]', { hasText: 'Typed in thousands' });
    await expect.poll(() => card.textContent()).toContain('$12,000');
  });

  it('refuses "0x1F" in the panel and keeps the old value', async () => {
    await openFirstDeal(page);
    const value = panel().getByLabel('Value');
    const before = await value.inputValue();
    await value.fill('0x1F');
    await value.press('Tab');
    await expect.poll(() => panel().getByRole('alert').textContent()).toMatch(/hexadecimal/);
    await page.screenshot({ path: artifact('deal-panel-amount-error-1440.png') });
    await value.fill(before);
    await value.press('Tab');
  });

  it('an impossible date typed key by key is refused on leaving, and the old date stays', async () => {
    const close = panel().getByLabel('Expected close date');
    await close.focus();
    await close.pressSequentially('01152027');
    expect(await close.inputValue()).toBe('2027-01-15');
    // Leaving the field (Tab stops on the date picker button inside it first, so click the next field).
    await panel().getByLabel('Tags (comma separated)').click();
    // The board is live: a colleague's fresh page sees the date once it is stored.
    await expect.poll(() => storedCloseDate()).toBe('2027-01-15');
    await page.reload();
    await openFirstDeal(page);
    expect(await panel().getByLabel('Expected close date').inputValue()).toBe('2027-01-15');

    const again = panel().getByLabel('Expected close date');
    await again.focus();
    await again.pressSequentially('02302026');
    await panel().getByLabel('Tags (comma separated)').click();
    await expect.poll(() => panel().getByRole('alert').textContent()).toBe('not a real date; the close date is unchanged');
    await page.screenshot({ path: artifact('deal-panel-date-error-1440.png') });
    expect(await storedCloseDate()).toBe('2027-01-15');
  });

  it('shows the parsed amount at phone width', async () => {
    phone = await suite.browser
      .newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, storageState: await page.context().storageState() })
      .then((context) => context.newPage());
    await phone.goto(page.url());
    await phone.locator('[data-deal-id]').first().click();
    const dialog = phone.getByRole('dialog', { name: 'Deal details' });
    await dialog.waitFor();
    await dialog.getByLabel('Value').fill('1.5m');
    await expect.poll(() => dialog.locator('output').textContent()).toBe('= $1,500,000');
    await phone.screenshot({ path: artifact('deal-panel-amount-390.png') });
  });

  it('refuses a won stage at 80% beside the field, at desk and phone width', async () => {
    for (const [on, width] of [[page, 1440], [phone, 390]] as const) {
      await on.goto(suite.server.url + '/settings');
      await on.getByLabel('Name', { exact: true }).fill(`Renewals ${width}`);
      await on.getByLabel('Stage 6 win probability').fill('80');
      await on.getByRole('button', { name: 'Create pipeline' }).click();
      await expect.poll(() => on.getByRole('alert').textContent()).toBe('Stage 6: a won stage is 100%');
      await on.getByLabel('Stage 6 win probability').scrollIntoViewIfNeeded();
      await on.screenshot({ path: artifact(`new-pipeline-won-error-${width}.png`) });
    }
  });
});
