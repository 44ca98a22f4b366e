import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { colorFor } from '../../shared/presence-colors.ts';
import { boardPageAs } from '../support/browser.ts';
import { artifact, browserSuite } from '../support/e2e.ts';
import { signUp, signUpColleague, type Account } from '../support/clients.ts';

describe('presence colors in Chromium', () => {
  const suite = browserSuite();

  it('three colleagues whose ids all start from the same color see three different colors, the same on every screen', async () => {
    const admin = await signUp(suite.server.url, 'Ann Admin');
    // Colleagues join until three of the team share a starting color: the clash hashing ids alone produced.
    const team: Account[] = [admin];
    let clash: Account[] = [];
    for (let joined = 1; clash.length < 3 && joined < 60; joined++) {
      team.push(await signUpColleague(suite.server.url, admin, `Rep ${joined}`));
      const byColor = new Map<string, Account[]>();
      for (const account of team) byColor.set(colorFor(account.userId).color, [...(byColor.get(colorFor(account.userId).color) ?? []), account]);
      clash = [...byColor.values()].find((group) => group.length >= 3)?.slice(0, 3) ?? [];
    }
    expect(clash).toHaveLength(3);

    const path = `/board/${admin.pipelineId}`;
    // All three open the board at the same moment.
    const pages: Page[] = (
      await Promise.all(clash.map((account) => boardPageAs(suite.browser, suite.server.url, account.cookie, path, { width: 1440, height: 900 })))
    ).map(({ page }) => page);

    /** The colors this page shows for the other two, by name. */
    const seen = (page: Page) =>
      page.getByTestId('avatar').evaluateAll((nodes) => Object.fromEntries(nodes.map((node) => [node.getAttribute('aria-label'), getComputedStyle(node).backgroundColor])) as Record<string, string>);
    for (const page of pages) await expect.poll(async () => Object.keys(await seen(page)).length, { timeout: 10_000 }).toBe(2);

    // Settled: every screen shows each person in one color, and the three colors differ.
    await expect
      .poll(
        async () => {
          const views = await Promise.all(pages.map(seen));
          const colorOf: Record<string, Set<string>> = {};
          for (const view of views) for (const [name, color] of Object.entries(view)) (colorOf[name] ??= new Set()).add(color);
          const agreed = Object.values(colorOf).every((colors) => colors.size === 1);
          return agreed ? new Set(Object.values(colorOf).map((colors) => [...colors][0])).size : 0;
        },
        { timeout: 10_000 }
      )
      .toBe(3);
    await pages[0].screenshot({ path: artifact('presence-colors.png') });
    for (const page of pages) await page.context().close();
  });
});
