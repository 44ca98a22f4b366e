import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { artifact, browserSuite, signUpInBrowser } from '../support/e2e.ts';

describe('sales and support writing one deal’s notes at once, in Chromium', () => {
  const suite = browserSuite();
  let ann: Page;
  let bob: Page;
  let boardUrl: string;
  let dealTitle: string;

  beforeAll(async () => {
    ann = await suite.newPage({ width: 1400, height: 900 });
    bob = await suite.newPage({ width: 1400, height: 900 });
  });

  async function openDeal(page: Page) {
    await page.locator('[data-deal-id]', { hasText: dealTitle }).first().click();
    const notes = page.getByRole('textbox', { name: `Notes on ${dealTitle}` });
    await notes.waitFor();
    return notes;
  }

  /** The notes as the editor shows them, without colleagues' cursor widgets (which carry their names). */
  const notesText = (page: Page) =>
    page.locator('[data-testid="deal-notes"] .cm-content').evaluate((content) => {
      const copy = content.cloneNode(true) as HTMLElement;
      copy.querySelectorAll('.cm-ySelectionCaret').forEach((caret) => caret.remove());
      return [...copy.querySelectorAll('.cm-line')].map((line) => line.textContent).join('\n');
    });

  it('a colleague who joined through an invite opens the same deal', async () => {
    await signUpInBrowser(ann, suite.server.url, 'Ann');
    boardUrl = ann.url();
    await ann.locator('[data-deal-id]').first().waitFor();
    dealTitle = (await ann.locator('section[aria-label="Lead in"] [data-deal-id] .title').first().textContent())!.trim();
    const invite = await ann.evaluate(async () => {
      const me = await (await fetch('/api/me')).json();
      const response = await fetch(`/api/workspaces/${me.workspaces[0].id}/invites`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      return (await response.json()).token as string;
    });
    await signUpInBrowser(bob, suite.server.url, 'Bob', `/signup?invite=${invite}`);
    await bob.goto(boardUrl);
    await expect.poll(() => bob.locator('[data-connection="connected"]').count()).toBe(1);
    await openDeal(ann);
    await openDeal(bob);
  });

  it('what one types appears live in the other’s notes, with the typist’s named cursor', async () => {
    const annNotes = ann.getByRole('textbox', { name: `Notes on ${dealTitle}` });
    await annNotes.click();
    await ann.keyboard.type('Called the buyer: budget approved.');
    await expect.poll(() => notesText(bob), { timeout: 5_000 }).toBe('Called the buyer: budget approved.');
    const annsCursor = bob.locator('.cm-ySelectionCaret', { hasText: 'Ann' });
    await annsCursor.waitFor({ timeout: 5_000 });
    expect(await annsCursor.locator('.cm-ySelectionInfo').textContent()).toBe('Ann');
    expect(await annsCursor.locator('.cm-ySelectionInfo').evaluate((label) => getComputedStyle(label).opacity)).toBe('1');
    await bob.screenshot({ path: artifact('notes-remote-cursor.png') });
  });

  it('both typing at once keeps both texts, in the same order for both', async () => {
    const bobNotes = bob.getByRole('textbox', { name: `Notes on ${dealTitle}` });
    await bobNotes.click();
    await bob.keyboard.press('ControlOrMeta+End');
    await ann.keyboard.press('ControlOrMeta+Home');
    await Promise.all([
      bob.keyboard.type(' Support: onboarding ticket closed.', { delay: 15 }),
      ann.keyboard.type('Next step: demo Friday. ', { delay: 15 })
    ]);
    const expected = 'Next step: demo Friday. Called the buyer: budget approved. Support: onboarding ticket closed.';
    await expect.poll(() => notesText(ann), { timeout: 5_000 }).toBe(expected);
    await expect.poll(() => notesText(bob), { timeout: 5_000 }).toBe(expected);
    await ann.locator('.cm-ySelectionCaret', { hasText: 'Bob' }).waitFor({ timeout: 5_000 });
  });

  it('Ctrl/Cmd-Z in the notes undoes only your own last typing', async () => {
    const before = await notesText(ann);
    const pastUndoCapture = () => new Promise((resolve) => setTimeout(resolve, 600));
    await pastUndoCapture();
    await bob.keyboard.type(' Oops');
    await expect.poll(() => notesText(ann), { timeout: 5_000 }).toBe(`${before} Oops`);
    await pastUndoCapture();
    await bob.keyboard.press('ControlOrMeta+z');
    await expect.poll(() => notesText(ann), { timeout: 5_000 }).toBe(before);
    expect(await notesText(bob)).toBe(before);
  });

  it('the notes are still there after a reload', async () => {
    const before = await notesText(ann);
    await ann.reload();
    await ann.locator('[data-deal-id]').first().waitFor();
    await openDeal(ann);
    await expect.poll(() => notesText(ann), { timeout: 5_000 }).toBe(before);
  });
});
