import type { Page } from 'playwright-core';

/**
 * Keyboard moves of the first "Lead in" card in `mover`, back and forth to "Qualified", each timed until the card is
 * rendered in `watcher`'s column (a MutationObserver there); `pauseMs` between moves. Milliseconds per move.
 */
export async function keyboardMoveLatencies(mover: Page, watcher: Page, moves: number, pauseMs = 0): Promise<number[]> {
  const dealId = (await mover.locator('section[aria-label="Lead in"] [data-deal-id]').first().getAttribute('data-deal-id'))!;
  const samples: number[] = [];
  for (let i = 0; i < moves; i++) {
    const [key, stage] = i % 2 === 0 ? ['ArrowRight', 'Qualified'] : ['ArrowLeft', 'Lead in'];
    await watcher.evaluate(
      ({ dealId, stage }) => {
        (window as unknown as { arrived: Promise<number> }).arrived = new Promise((resolve) => {
          const observer = new MutationObserver(() => {
            if (document.querySelector(`section[aria-label="${stage}"] [data-deal-id="${dealId}"]`)) {
              observer.disconnect();
              resolve(Date.now());
            }
          });
          observer.observe(document.body, { childList: true, subtree: true });
        });
      },
      { dealId, stage }
    );
    const card = mover.locator(`[data-deal-id="${dealId}"]`);
    await card.focus();
    await mover.keyboard.press('Space');
    await mover.keyboard.press(key);
    const sent = await mover.evaluate(() => Date.now());
    await mover.keyboard.press('Space');
    const arrived = await watcher.evaluate(() => (window as unknown as { arrived: Promise<number> }).arrived);
    samples.push(arrived - sent);
    if (pauseMs) await mover.waitForTimeout(pauseMs);
  }
  return samples;
}
