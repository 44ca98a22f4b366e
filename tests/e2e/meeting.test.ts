import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { boardPageAs } from '../support/browser.ts';
import { artifact, browserSuite } from '../support/e2e.ts';
import { signUp, signUpColleague, type Account } from '../support/clients.ts';

/** A weekly pipeline review: three colleagues on one board, one presenting, the others following. */
describe('live review meeting with three users, in Chromium', () => {
  const suite = browserSuite();
  let ann: Page;
  let bob: Page;
  let cy: Page;
  let annAccount: Account;
  let boardUrl: string;

  /** A browser signed in as `account` (the session cookie the API handed out), on the board. */
  const pageFor = async (account: Account): Promise<Page> =>
    (await boardPageAs(suite.browser, suite.server.url, account.cookie, new URL(boardUrl).pathname, { width: 1280, height: 800 })).page;

  const column = (page: Page, name: string) => page.locator(`section[data-stage-id][aria-label="${name}"]`);
  const card = (page: Page, dealId: string) => page.locator(`[data-deal-id="${dealId}"]`);
  const avatars = (page: Page) => page.getByTestId('avatar');
  const panelTitle = (page: Page) => page.getByRole('dialog', { name: 'Deal details' }).getByLabel('Title').inputValue();

  beforeAll(async () => {
    annAccount = await signUp(suite.server.url, 'Ann Admin');
    boardUrl = `${suite.server.url}/board/${annAccount.pipelineId}`;
    const bobAccount = await signUpColleague(suite.server.url, annAccount, 'Bob Sales');
    const cyAccount = await signUpColleague(suite.server.url, annAccount, 'Cy Support');
    [ann, bob, cy] = await Promise.all([pageFor(annAccount), pageFor(bobAccount), pageFor(cyAccount)]);
  });

  it('shows everyone on the board as avatars with names', async () => {
    for (const page of [ann, bob, cy]) await expect.poll(() => avatars(page).count(), { timeout: 5_000 }).toBe(2);
    expect(await avatars(ann).evaluateAll((nodes) => nodes.map((node) => node.getAttribute('aria-label')).sort())).toEqual(['Bob Sales', 'Cy Support']);
  });

  it('shows on a card who has its record open', async () => {
    const dealId = (await column(bob, 'Qualified').locator('[data-deal-id]').first().getAttribute('data-deal-id'))!;
    await card(bob, dealId).click();
    await expect.poll(() => card(ann, dealId).locator('[title="Bob Sales has this open"]').count(), { timeout: 5_000 }).toBe(1);
    // On the record itself: Ann opens it too and sees Bob there.
    await card(ann, dealId).click();
    await ann.getByRole('group', { name: 'Also on this record' }).getByRole('img', { name: 'Bob Sales' }).waitFor({ timeout: 5_000 });
    await ann.getByRole('button', { name: 'Close deal details' }).click();
    await bob.getByRole('button', { name: 'Close deal details' }).click();
    await expect.poll(() => card(ann, dealId).locator('[title="Bob Sales has this open"]').count(), { timeout: 5_000 }).toBe(0);
  });

  it('followers get the presenter’s filters, open deal and scroll; a follower who clicks takes back control', async () => {
    await ann.getByRole('button', { name: 'Present' }).click();
    await bob.getByRole('button', { name: 'Follow Ann Admin' }).click();
    await cy.getByRole('button', { name: 'Follow Ann Admin' }).click();
    await bob.getByText('Following Ann Admin').waitFor();

    const dealId = (await column(ann, 'Demo').locator('[data-deal-id]').first().getAttribute('data-deal-id'))!;
    const title = (await card(ann, dealId).locator('.title').textContent())!;
    await card(ann, dealId).click();
    for (const follower of [bob, cy]) await expect.poll(() => panelTitle(follower), { timeout: 5_000 }).toBe(title);

    await ann.getByLabel('Search deals').fill(title.slice(0, 5));
    for (const follower of [bob, cy]) await expect.poll(() => follower.getByLabel('Search deals').inputValue(), { timeout: 5_000 }).toBe(title.slice(0, 5));

    await ann.locator('.board').evaluate((board) => (board.scrollLeft = board.scrollWidth));
    const scrolled = (page: Page) => page.locator('.board').evaluate((board) => Math.round((board.scrollLeft / (board.scrollWidth - board.clientWidth)) * 100));
    for (const follower of [bob, cy]) await expect.poll(() => scrolled(follower), { timeout: 5_000 }).toBeGreaterThan(90);
    await bob.screenshot({ path: artifact('meeting-follower-bob.png') });

    await bob.locator('.board').click({ position: { x: 5, y: 300 } });
    await bob.getByText('You stopped following.').waitFor();
    await ann.getByLabel('Search deals').fill('');
    await expect.poll(() => cy.getByLabel('Search deals').inputValue(), { timeout: 5_000 }).toBe('');
    expect(await bob.getByLabel('Search deals').inputValue()).toBe(title.slice(0, 5));
  });

  it('puts a deal in the spotlight for everyone', async () => {
    await ann.getByRole('button', { name: 'Spotlight', exact: true }).click();
    const spotlit = ann.locator('.deal.spotlit');
    await spotlit.waitFor();
    const dealId = (await spotlit.getAttribute('data-deal-id'))!;
    for (const page of [bob, cy]) await expect.poll(() => card(page, dealId).textContent(), { timeout: 5_000 }).toContain('Spotlight · Ann Admin');
    await ann.getByRole('button', { name: 'Spotlight on' }).click();
    await expect.poll(() => card(bob, dealId).textContent(), { timeout: 5_000 }).not.toContain('Spotlight');
    await ann.getByRole('button', { name: 'Stop presenting' }).click();
    await cy.getByText('The presenter stopped presenting.').waitFor({ timeout: 10_000 });
  });

  it('shows a ghost of a card while a colleague drags it, and the card lands where they drop it', async () => {
    // Cy followed Ann to the far right of the board: back to the first columns to drag.
    await cy.locator('.board').evaluate((board) => (board.scrollLeft = 0));
    await ann.getByRole('button', { name: 'Close deal details' }).click();
    await ann.locator('.board').evaluate((board) => (board.scrollLeft = 0));
    const dealId = (await column(cy, 'Lead in').locator('[data-deal-id]').first().getAttribute('data-deal-id'))!;
    const from = (await card(cy, dealId).boundingBox())!;
    const to = (await column(cy, 'Qualified').locator('.cards').boundingBox())!;
    await cy.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await cy.mouse.down();
    await cy.mouse.move(to.x + to.width / 2, to.y + 40, { steps: 12 });
    const ghost = column(ann, 'Qualified').getByTestId('drag-ghost');
    await ghost.waitFor({ timeout: 5_000 });
    expect(await ghost.textContent()).toContain('Cy Support');
    expect(await card(ann, dealId).textContent()).toContain('Cy Support is moving this');
    await ann.screenshot({ path: artifact('meeting-drag-ghost.png') });
    await cy.mouse.move(to.x + to.width / 2, to.y + 60, { steps: 4 });
    await cy.mouse.up();
    await expect.poll(() => column(ann, 'Qualified').locator(`[data-deal-id="${dealId}"]`).count(), { timeout: 5_000 }).toBe(1);
    await expect.poll(() => ann.getByTestId('drag-ghost').count(), { timeout: 5_000 }).toBe(0);
  });

  it('an admin adds a pipeline in settings; followers go with the presenter to it and back', async () => {
    await ann.goto(`${suite.server.url}/settings`);
    const form = ann.getByRole('form', { name: 'New pipeline' });
    await form.getByLabel('Name', { exact: true }).fill('Renewals');
    for (let stage = 0; stage < 3; stage++) await form.getByRole('button', { name: 'Remove stage 2' }).click();
    await form.getByLabel('Stage 1 name').fill('Up for renewal');
    await form.getByRole('button', { name: 'Create pipeline' }).click();
    await form.getByRole('status').waitFor();
    await ann.screenshot({ path: artifact('settings-new-pipeline.png'), fullPage: true });
    await form.getByRole('status').getByRole('link', { name: 'Renewals' }).click();
    await ann.waitForURL(/\/board\//);
    const renewalsPath = new URL(ann.url()).pathname;
    expect(renewalsPath).not.toBe(new URL(boardUrl).pathname);
    await expect.poll(() => ann.locator('section[data-stage-id]').evaluateAll((columns) => columns.map((c) => c.getAttribute('aria-label'))), { timeout: 5_000 }).toEqual([
      'Up for renewal',
      'Negotiation',
      'Won',
      'Lost'
    ]);
    expect(await ann.locator('[data-deal-id]').count()).toBe(0);

    // Back on the sales board, Ann presents and Bob follows her to the new pipeline and back.
    await ann.locator('#pipeline-picker').selectOption({ label: 'Sales pipeline' });
    await ann.waitForURL(boardUrl);
    await ann.getByRole('button', { name: 'Present' }).click();
    await bob.getByRole('button', { name: 'Follow Ann Admin' }).click();
    await bob.getByText('Following Ann Admin').waitFor();
    await ann.locator('#pipeline-picker').selectOption({ label: 'Renewals' });
    await bob.waitForURL((url) => url.pathname === renewalsPath, { timeout: 10_000 });
    await ann.getByLabel('Search deals').fill('acme');
    await expect.poll(() => bob.getByLabel('Search deals').inputValue(), { timeout: 5_000 }).toBe('acme');
    await bob.getByText('Following Ann Admin').waitFor();
    await bob.screenshot({ path: artifact('meeting-follow-to-new-pipeline.png') });
    await ann.getByLabel('Search deals').fill('');
    await ann.locator('#pipeline-picker').selectOption({ label: 'Sales pipeline' });
    await bob.waitForURL(boardUrl, { timeout: 10_000 });
    await ann.getByRole('button', { name: 'Stop presenting' }).click();
    await bob.getByText('The presenter stopped presenting.').waitFor({ timeout: 10_000 });
  });

  it('an admin renames the pipeline in settings and colleagues on the board see the new name at once', async () => {
    await ann.goto(`${suite.server.url}/settings`);
    await ann.getByLabel('Name of Sales pipeline').fill('New business');
    await ann.getByRole('button', { name: 'Save Sales pipeline' }).click();
    await ann.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    const picked = () => bob.locator('#pipeline-picker option:checked').textContent();
    await expect.poll(picked, { timeout: 5_000 }).toBe('New business');
    await expect.poll(() => bob.title(), { timeout: 5_000 }).toBe('New business · Lanes');
    await ann.getByRole('link', { name: '← Back to New business' }).click();
    await ann.waitForURL(boardUrl);
  });

  it('removes a colleague’s avatar as soon as they close the tab', async () => {
    await cy.close();
    for (const page of [ann, bob]) await expect.poll(() => avatars(page).count(), { timeout: 5_000 }).toBe(1);
    await ann.screenshot({ path: artifact('meeting-presence.png') });
  });
});
