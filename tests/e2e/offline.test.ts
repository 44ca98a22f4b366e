import { beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { boardPageAs } from '../support/browser.ts';
import { artifact, browserSuite } from '../support/e2e.ts';
import { signUp, signUpColleague, type Account } from '../support/clients.ts';

/** Working through a dropped connection, and undoing only your own changes, in Chromium. */
describe('offline edits and per-user undo, in Chromium', () => {
  const suite = browserSuite();
  let bobContext: BrowserContext;
  let ann: Page;
  let bob: Page;
  let boardUrl: string;

  const open = (account: Account) => boardPageAs(suite.browser, suite.server.url, account.cookie, new URL(boardUrl).pathname);

  const column = (page: Page, name: string) => page.locator(`section[data-stage-id][aria-label="${name}"]`);
  const stageOf = (page: Page, dealId: string) =>
    page.locator(`[data-deal-id="${dealId}"]`).locator('xpath=ancestor::*[@data-stage-id][1]').getAttribute('aria-label');

  async function addDeal(page: Page, stage: string, title: string) {
    await page.getByRole('button', { name: `Add deal to ${stage}` }).click();
    await page.getByLabel('Deal title').fill(title);
    await page.getByRole('button', { name: 'Add deal', exact: true }).click();
    await column(page, stage).getByText(title).waitFor();
  }

  async function keyboardMove(page: Page, dealId: string, steps: number) {
    await page.locator(`[data-deal-id="${dealId}"]`).focus();
    await page.keyboard.press('Space');
    for (let step = 0; step < steps; step++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Space');
  }

  beforeAll(async () => {
    const annAccount = await signUp(suite.server.url, 'Ann');
    boardUrl = `${suite.server.url}/board/${annAccount.pipelineId}`;
    const bobAccount = await signUpColleague(suite.server.url, annAccount, 'Bob');
    ({ page: ann } = await open(annAccount));
    ({ context: bobContext, page: bob } = await open(bobAccount));
    // The app shell must be cached before the network goes away.
    await bob.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    // Bob had the board open and connected before the train left: the browser knows what the server has stored, so
    // after an offline reload it can still tell his earlier unsaved changes from ones the server already holds.
    await bob.locator('[data-connection="connected"]').waitFor();
    await bob.waitForFunction(() => Object.keys(localStorage).some((key) => key.startsWith('lanes:server-state:')));
  });

  it('keeps working offline, survives a reload without network, and syncs when the connection returns', async () => {
    await bobContext.setOffline(true);
    await bob.locator('[data-connection="offline"]').waitFor();
    await addDeal(bob, 'Lead in', 'Made on the train');
    await expect.poll(() => bob.getByTestId('pending-changes').textContent()).toMatch(/[1-9]\d* changes? not yet saved/);

    await bob.reload();
    await column(bob, 'Lead in').getByText('Made on the train').waitFor({ timeout: 10_000 });
    await bob.locator('[data-connection="offline"]').waitFor();
    const movedOffline = (await column(bob, 'Qualified').locator('[data-deal-id]').first().getAttribute('data-deal-id'))!;
    await keyboardMove(bob, movedOffline, 1);
    await expect.poll(() => stageOf(bob, movedOffline)).toBe('Demo');
    // The deal from before the reload (kept in IndexedDB) and the move since: both wait for the suite.server.
    await expect.poll(() => bob.getByTestId('pending-changes').textContent()).toMatch(/2 changes not yet saved/);
    await bob.screenshot({ path: artifact('offline-bob.png') });
    expect(await column(ann, 'Lead in').getByText('Made on the train').count()).toBe(0);

    await bobContext.setOffline(false);
    await bob.locator('[data-connection="connected"]').waitFor({ timeout: 15_000 });
    await column(ann, 'Lead in').getByText('Made on the train').waitFor({ timeout: 10_000 });
    await expect.poll(() => stageOf(ann, movedOffline), { timeout: 10_000 }).toBe('Demo');
    await expect.poll(() => bob.getByTestId('pending-changes').count(), { timeout: 10_000 }).toBe(0);
  });

  it('undo takes back only your own change, never a colleague’s', async () => {
    const dealId = (await column(ann, 'Proposal').locator('[data-deal-id]').first().getAttribute('data-deal-id'))!;
    await keyboardMove(ann, dealId, 1);
    await expect.poll(() => stageOf(bob, dealId)).toBe('Negotiation');
    await addDeal(bob, 'Proposal', 'Bob’s own deal');
    await column(ann, 'Proposal').getByText('Bob’s own deal').waitFor();

    await ann.locator('.board').click({ position: { x: 5, y: 5 } });
    await ann.keyboard.press('Control+z');
    await expect.poll(() => stageOf(ann, dealId)).toBe('Proposal');
    await expect.poll(() => stageOf(bob, dealId)).toBe('Proposal');
    expect(await column(ann, 'Proposal').getByText('Bob’s own deal').count()).toBe(1);
    expect(await column(bob, 'Proposal').getByText('Bob’s own deal').count()).toBe(1);

    await ann.getByRole('button', { name: 'Redo (Shift+Ctrl+Z)' }).click();
    await expect.poll(() => stageOf(bob, dealId)).toBe('Negotiation');
  });

  it('sends a board whose session ended elsewhere to sign in again, and back to the same board after', async () => {
    const email = await bob.evaluate(() => fetch('/api/me').then((response) => response.json()).then((me) => me.user.email as string));
    // "Log out everywhere" from another device: this board's socket is closed by the server at once.
    await bob.evaluate(() => fetch('/api/auth/logout-everywhere', { method: 'POST' }));
    await bob.waitForURL(/\/login\?next=%2Fboard%2F/, { timeout: 10_000 });
    await bob.getByLabel('E-mail').fill(email);
    await bob.getByLabel('Password').fill('a long password');
    await bob.getByRole('button', { name: 'Log in' }).click();
    await bob.waitForURL(boardUrl, { timeout: 10_000 }).catch(async (error) => {
      await bob.screenshot({ path: artifact('relogin-failure.png') });
      throw new Error(`${error.message}\nat ${bob.url()}: ${(await bob.locator('body').innerText()).slice(0, 400)}`);
    });
    await bob.locator('[data-connection="connected"]').waitFor();
  });
});
