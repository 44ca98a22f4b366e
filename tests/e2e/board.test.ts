import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { artifact, browserSuite, signUpInBrowser } from '../support/e2e.ts';

describe('two reps on one live board, in Chromium', () => {
  const suite = browserSuite();
  let ann: Page;
  let bob: Page;

  beforeAll(async () => {
    ann = await suite.newPage({ width: 1600, height: 900 });
    bob = await suite.newPage({ width: 1600, height: 900 });
  });

  async function signUp(page: Page, name: string, path = '/signup') {
    await signUpInBrowser(page, suite.server.url, name, path);
    await page.locator('[data-deal-id]').first().waitFor();
  }

  const column = (page: Page, name: string) => page.locator(`section[data-stage-id][aria-label="${name}"]`);
  const card = (page: Page, dealId: string) => page.locator(`[data-deal-id="${dealId}"]`);

  it('a new user lands on a board with the sample pipeline', async () => {
    await signUp(ann, 'Ann');
    for (const stage of ['Lead in', 'Qualified', 'Demo', 'Proposal', 'Negotiation', 'Won', 'Lost']) {
      await expect(column(ann, stage).count()).resolves.toBe(1);
    }
    expect(await ann.locator('[data-deal-id]').count()).toBeGreaterThanOrEqual(28);
    await ann.screenshot({ path: artifact('board-ann.png'), fullPage: true });
  });

  it('a colleague joins through an invite link and sees the same board', async () => {
    const boardUrl = ann.url();
    await ann.getByRole('link', { name: 'Settings' }).click();
    await ann.getByRole('button', { name: 'Create invite link' }).click();
    const inviteUrl = await ann.locator('[data-invite-url]').first().getAttribute('data-invite-url');
    expect(inviteUrl).toMatch(/\/invite\//);
    await ann.getByLabel('E-mail address to invite').fill('carol@example.com');
    await ann.getByRole('button', { name: 'Invite by e-mail' }).click();
    const carolsInvite = ann.locator('li[data-invite-url]', { hasText: 'carol@example.com' });
    await carolsInvite.waitFor();
    await ann.screenshot({ path: artifact('settings-invite.png') });
    await carolsInvite.getByRole('button', { name: 'Revoke' }).click();
    await carolsInvite.waitFor({ state: 'detached' });
    await ann.goto(boardUrl);
    await ann.locator('[data-deal-id]').first().waitFor();

    await bob.goto(inviteUrl!);
    await bob.getByRole('link', { name: 'Sign up to join' }).click();
    await bob.waitForURL(/\/signup\?invite=/);
    await signUp(bob, 'Bob', new URL(bob.url()).pathname + new URL(bob.url()).search);
    await bob.goto(boardUrl);
    await bob.locator('[data-deal-id]').first().waitFor();
    await expect.poll(() => bob.locator('[data-connection="connected"]').count()).toBe(1);
    expect(await bob.locator('[data-deal-id]').count()).toBe(await ann.locator('[data-deal-id]').count());
  });

  it('a card dragged by one rep moves in the other rep’s browser', async () => {
    const dealId = (await column(ann, 'Lead in').locator('[data-deal-id]').first().getAttribute('data-deal-id'))!;
    await card(ann, dealId).dragTo(column(ann, 'Demo'));
    await expect.poll(() => column(ann, 'Demo').locator(`[data-deal-id="${dealId}"]`).count(), { timeout: 5_000 }).toBe(1);
    await expect.poll(() => column(bob, 'Demo').locator(`[data-deal-id="${dealId}"]`).count(), { timeout: 5_000 }).toBe(1);
    expect(await column(bob, 'Lead in').locator(`[data-deal-id="${dealId}"]`).count()).toBe(0);
    await bob.screenshot({ path: artifact('board-bob-after-drag.png'), fullPage: true });
  });

  it('a keyboard move in one browser shows in the other', async () => {
    const dealId = (await column(bob, 'Qualified').locator('[data-deal-id]').first().getAttribute('data-deal-id'))!;
    await card(bob, dealId).focus();
    await bob.keyboard.press('Space');
    await bob.keyboard.press('ArrowRight');
    await bob.keyboard.press('Space');
    await expect.poll(() => column(ann, 'Demo').locator(`[data-deal-id="${dealId}"]`).count(), { timeout: 5_000 }).toBe(1);
  });

  it('both reps dragging the same card at once leaves exactly one copy, in the same column for both', async () => {
    const dealId = (await column(ann, 'Proposal').locator('[data-deal-id]').first().getAttribute('data-deal-id'))!;
    await Promise.all([card(ann, dealId).dragTo(column(ann, 'Negotiation')), card(bob, dealId).dragTo(column(bob, 'Won'))]);
    await expect
      .poll(async () => [await ann.locator(`[data-deal-id="${dealId}"]`).count(), await bob.locator(`[data-deal-id="${dealId}"]`).count()], { timeout: 5_000 })
      .toEqual([1, 1]);
    const stageOf = (page: Page) => card(page, dealId).locator('xpath=ancestor::*[@data-stage-id][1]').getAttribute('data-stage-id');
    await expect.poll(async () => (await stageOf(ann)) === (await stageOf(bob)), { timeout: 5_000 }).toBe(true);
  });

  it('a deal added in one browser and edited in its side panel updates live in the other', async () => {
    await ann.getByRole('button', { name: 'Add deal to Qualified' }).click();
    await ann.getByLabel('Deal title').fill('Initrode: badge printers');
    await ann.getByLabel('Deal value').fill('12500');
    await ann.getByRole('button', { name: 'Add deal', exact: true }).click();
    const added = column(bob, 'Qualified').getByText('Initrode: badge printers');
    await added.waitFor({ timeout: 5_000 });

    await column(ann, 'Qualified').getByText('Initrode: badge printers').click();
    const panel = ann.getByRole('dialog', { name: 'Deal details' });
    await panel.getByLabel('Value').fill('-3');
    await panel.getByLabel('Value').press('Tab');
    await expect(panel.getByRole('alert').textContent()).resolves.toBe('cannot be negative');
    await panel.getByLabel('Value').fill('99000');
    await panel.getByLabel('Value').press('Tab');
    await panel.getByLabel('Tags (comma separated)').fill('hardware, q1');
    await panel.getByLabel('Tags (comma separated)').press('Tab');
    await panel.getByLabel('Owner').selectOption({ label: 'Bob' });
    const bobsCard = column(bob, 'Qualified').locator('[data-deal-id]', { hasText: 'Initrode: badge printers' });
    await expect.poll(() => bobsCard.textContent(), { timeout: 5_000 }).toContain('$99,000');
    expect(await bobsCard.textContent()).toContain('hardware');
    expect(await bobsCard.locator('[title="Owner: Bob"]').count()).toBe(1);
    await ann.screenshot({ path: artifact('deal-panel.png') });
    await panel.getByRole('button', { name: 'Close deal details' }).click();
  });

  it('logs out and logs back in to the same board', async () => {
    const email = await ann.evaluate(() => fetch('/api/me').then((response) => response.json()).then((me) => me.user.email as string));
    await ann.getByRole('button', { name: /account menu/ }).click();
    await ann.getByRole('button', { name: 'Log out' }).click();
    await ann.waitForURL(/\/login/);
    expect((await ann.request.get(`${suite.server.url}/api/me`)).status()).toBe(401);
    await ann.getByLabel('E-mail').fill(email);
    await ann.getByLabel('Password').fill('wrong password');
    await ann.getByRole('button', { name: 'Log in' }).click();
    await ann.getByText('wrong e-mail or password').waitFor();
    await ann.getByLabel('Password').fill('a long password');
    await ann.getByRole('button', { name: 'Log in' }).click();
    await ann.waitForURL(/\/board\//);
    await column(ann, 'Qualified').getByText('Initrode: badge printers').waitFor();
  });
});
