import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { artifact, browserSuite, signUpInBrowser } from '../support/e2e.ts';

describe('an admin manages roles in the settings page, in Chromium', () => {
  const suite = browserSuite();
  let ann: Page;
  let bob: Page;

  beforeAll(async () => {
    ann = await suite.newPage({ width: 1400, height: 900 });
    bob = await suite.newPage({ width: 1400, height: 900 });
  });

  async function signUp(page: Page, name: string, path = '/signup') {
    await signUpInBrowser(page, suite.server.url, name, path);
    await page.locator('[data-deal-id]').first().waitFor();
  }

  const leadIn = (page: Page) => page.locator('section[data-stage-id][aria-label="Lead in"]');
  /** May this page's user change the pipeline (by /api/pipelines; undefined when they cannot open it)? */
  const canEditPipeline = (page: Page, pipelineId: string) =>
    page.evaluate(async (id) => {
      const pipelines = (await (await fetch('/api/pipelines')).json()) as Array<{ id: string; canEdit: boolean }>;
      return pipelines.find((pipeline) => pipeline.id === id)?.canEdit;
    }, pipelineId);

  it('a colleague invited as sales, made a viewer, can no longer change the board', async () => {
    await signUp(ann, 'Ann');
    const boardUrl = ann.url();
    const pipelineId = new URL(boardUrl).pathname.split('/').pop()!;
    await ann.getByRole('link', { name: 'Settings' }).click();
    await ann.getByLabel('Joins as').selectOption('sales');
    await ann.getByLabel('Expires after').selectOption('14');
    await ann.getByRole('button', { name: 'Create invite link' }).click();
    const invite = ann.locator('li[data-invite-url]').first();
    expect(await invite.textContent()).toContain('joins as Sales');
    const inviteUrl = (await invite.getAttribute('data-invite-url'))!;

    await bob.goto(inviteUrl);
    await bob.getByText('You join as Sales').waitFor();
    await bob.getByRole('link', { name: 'Sign up to join' }).click();
    await bob.waitForURL(/\/signup\?invite=/);
    await signUp(bob, 'Bob', new URL(bob.url()).pathname + new URL(bob.url()).search);
    await bob.goto(boardUrl);
    await expect.poll(() => bob.locator('[data-connection="connected"]').count()).toBe(1);
    expect(await canEditPipeline(bob, pipelineId)).toBe(true);

    // The last admin cannot demote herself: the server's reason shows and the select keeps "Admin".
    await ann.reload();
    await ann.getByLabel('Role of Ann').selectOption('viewer');
    await expect.poll(() => ann.getByRole('alert').textContent()).toContain('at least one admin');
    expect(await ann.getByLabel('Role of Ann').inputValue()).toBe('admin');

    const patched = ann.waitForResponse((response) => response.request().method() === 'PATCH' && response.url().includes('/members/'));
    await ann.getByLabel('Role of Bob').selectOption('viewer');
    expect((await patched).status()).toBe(200);
    await ann.screenshot({ path: artifact('settings-roles.png'), fullPage: true });
    expect(await canEditPipeline(bob, pipelineId)).toBe(false);

    // Bob's open socket is now read-only: his drag never reaches Ann's board.
    await ann.goto(boardUrl);
    await ann.locator('[data-deal-id]').first().waitFor();
    const dealId = (await leadIn(bob).locator('[data-deal-id]').first().getAttribute('data-deal-id'))!;
    await bob.locator(`[data-deal-id="${dealId}"]`).dragTo(bob.locator('section[data-stage-id][aria-label="Demo"]'));
    await ann.waitForTimeout(1_500);
    expect(await leadIn(ann).locator(`[data-deal-id="${dealId}"]`).count()).toBe(1);
  });
});
