import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import type { AxeResults, Result } from 'axe-core';

/** axe-core's browser bundle, read once: evaluated in the page so it runs the real engine on its real DOM. */
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  /** CSS selectors of the failing elements, with axe's one-line reason for each. */
  nodes: string[];
}

/**
 * Runs axe-core on the page as it is now and returns its serious and critical violations (an empty list is clean).
 * `within`: only the parts matching these CSS selectors (those on the page now), e.g. one panel under test.
 */
export async function seriousViolations(page: Page, within: string[] = []): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, which the app's Content-Security-Policy rightly does not govern: an
  // injected inline <script> would be refused by it.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const results = (await page.evaluate((selectors) => {
    const axe = (window as unknown as { axe: { run(context?: unknown): Promise<unknown> } }).axe;
    const present = selectors.filter((selector) => document.querySelector(selector));
    return selectors.length ? axe.run({ include: present.map((selector) => [selector]) }) : axe.run();
  }, within)) as AxeResults;
  return results.violations.filter(isSeriousOrWorse).map(summarise);
}

const isSeriousOrWorse = (violation: Result) => violation.impact === 'serious' || violation.impact === 'critical';

function summarise(violation: Result): AxeViolation {
  return {
    id: violation.id,
    impact: violation.impact ?? 'unknown',
    help: violation.help,
    nodes: violation.nodes.map((node) => `${node.target.join(' ')}: ${node.failureSummary?.split('\n').slice(1).join(' ').trim() ?? ''}`)
  };
}
