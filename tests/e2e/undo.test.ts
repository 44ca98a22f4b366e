import { beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { boardPageAs } from '../support/browser.ts';
import { artifact, browserSuite } from '../support/e2e.ts';
import { signUp, signUpColleague, type Account } from '../support/clients.ts';

/** Issue #17 in Chromium: undoing a move that won over a colleague's move made at the same moment. */
describe('undo after a colleague’s concurrent move, in Chromium', () => {
  const suite = browserSuite();
  let annAccount: Account;
  let boardPath: string;
  const users: Array<{ name: string; context: BrowserContext; page: Page; hold(): void; release(): void }> = [];

  const column = (page: Page, name: string) => page.locator(`section[data-stage-id][aria-label="${name}"]`);
  const stageOf = (page: Page, dealId: string) =>
    page.locator(`[data-deal-id="${dealId}"]`).locator('xpath=ancestor::*[@data-stage-id][1]').getAttribute('aria-label');

  async function keyboardMove(page: Page, dealId: string, steps: number) {
    await page.locator(`[data-deal-id="${dealId}"]`).focus();
    await page.keyboard.press('Space');
    for (let step = 0; step < steps; step++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Space');
  }

  async function addDeal(page: Page, stage: string, title: string) {
    await page.getByRole('button', { name: `Add deal to ${stage}` }).click();
    await page.getByLabel('Deal title').fill(title);
    await page.getByRole('button', { name: 'Add deal', exact: true }).click();
    await column(page, stage).getByText(title).waitFor();
  }

  /**
   * A user whose board's outgoing sync messages can be held back and then sent in order, as on a slow network
   * (Chromium's offline mode leaves open WebSockets alone, so it cannot make two moves concurrent).
   */
  async function openHoldable(name: string, account: Account) {
    const context = await suite.browser.newContext({ viewport: { width: 1600, height: 900 } });
    const [cookieName, cookieValue] = account.cookie.split('=');
    await context.addCookies([{ name: cookieName, value: cookieValue, url: suite.server.url }]);
    const held: Array<() => void> = [];
    let holding = false;
    await context.routeWebSocket(
      (url) => decodeURIComponent(url.pathname).startsWith('/ws/board:'),
      (socket) => {
        const server = socket.connectToServer();
        socket.onMessage((message) => (holding ? held.push(() => server.send(message)) : server.send(message)));
      }
    );
    const page = await context.newPage();
    await page.goto(suite.server.url + boardPath);
    await page.locator('[data-deal-id]').first().waitFor();
    await page.locator('[data-connection="connected"]').waitFor();
    const hold = () => (holding = true);
    const release = () => {
      holding = false;
      for (const send of held.splice(0)) send();
    };
    return { name, context, page, hold, release };
  }

  beforeAll(async () => {
    annAccount = await signUp(suite.server.url, 'Ann');
    boardPath = `/board/${annAccount.pipelineId}`;
    const bobAccount = await signUpColleague(suite.server.url, annAccount, 'Bob');
    users.push(await openHoldable('Ann', annAccount), await openHoldable('Bob', bobAccount));
  });

  it('the user whose move won undoes it: the deal is back in its column on both boards and on a freshly loaded one', async () => {
    const [ann, bob] = users;
    const dealId = (await column(ann.page, 'Qualified').locator('[data-deal-id]').first().getAttribute('data-deal-id'))!;

    // Both move the same deal to different columns before either's move reaches the other.
    for (const user of users) user.hold();
    await keyboardMove(ann.page, dealId, 1);
    await keyboardMove(bob.page, dealId, 2);
    await expect.poll(() => stageOf(ann.page, dealId)).toBe('Demo');
    await expect.poll(() => stageOf(bob.page, dealId)).toBe('Proposal');
    for (const user of users) user.release();

    // Each adds a marker deal after its move and waits for the other's: updates arrive in order, so each board now
    // holds the colleague's move too, and Yjs has picked one move for both.
    await addDeal(ann.page, 'Lead in', 'Marker from Ann');
    await addDeal(bob.page, 'Lead in', 'Marker from Bob');
    await column(ann.page, 'Lead in').getByText('Marker from Bob').waitFor({ timeout: 10_000 });
    await column(bob.page, 'Lead in').getByText('Marker from Ann').waitFor({ timeout: 10_000 });
    const winningStage = await stageOf(ann.page, dealId);
    expect(['Demo', 'Proposal']).toContain(winningStage);
    await expect.poll(() => stageOf(bob.page, dealId)).toBe(winningStage);
    const winner = winningStage === 'Demo' ? ann : bob;

    // The winner's first undo takes back the marker, the second the move.
    await winner.page.locator('.board').click({ position: { x: 5, y: 5 } });
    await winner.page.keyboard.press('Control+z');
    await expect.poll(() => column(winner.page, 'Lead in').getByText(`Marker from ${winner.name}`).count()).toBe(0);
    await winner.page.keyboard.press('Control+z');
    for (const user of users) await expect.poll(() => stageOf(user.page, dealId), { timeout: 10_000 }).toBe('Qualified');
    for (const user of users) await expect.poll(() => user.page.getByTestId('pending-changes').count(), { timeout: 10_000 }).toBe(0);
    await winner.page.screenshot({ path: artifact('undo-concurrent-move.png') });

    const { context, page: fresh } = await boardPageAs(suite.browser, suite.server.url, annAccount.cookie, boardPath);
    await expect.poll(() => stageOf(fresh, dealId)).toBe('Qualified');
    expect(await fresh.locator(`[data-deal-id="${dealId}"]`).count()).toBe(1);
    await context.close();
  });
});
