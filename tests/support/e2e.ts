import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ServerProcess, pgliteStorage, type Storage } from './server-process.ts';
import { launchChromium } from './browser.ts';

const ARTIFACTS = resolve(import.meta.dirname, '../../test-results');

/** Where an e2e test saves a screenshot: test-results/<name>. */
export const artifact = (name: string) => join(ARTIFACTS, name);

/**
 * One real server on fresh PGlite and one Chromium for a describe block: started in beforeAll, stopped in
 * afterAll. Read `server` and `browser` inside tests and hooks, once started.
 */
export function browserSuite() {
  let storage: Storage | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    storage = pgliteStorage();
    server = await ServerProcess.start(storage);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await storage?.dispose();
  });
  return {
    get server(): ServerProcess {
      return server!;
    },
    get browser(): Browser {
      return browser!;
    },
    /** A page in a context of its own: one user. */
    newPage: async (viewport = { width: 1400, height: 900 }): Promise<Page> => (await browser!.newContext({ viewport })).newPage()
  };
}

/** Sign up through the sign-up form (`path` may carry ?invite=…) and wait for the board it lands on. */
export async function signUpInBrowser(page: Page, serverUrl: string, name: string, path = '/signup'): Promise<void> {
  await page.goto(serverUrl + path);
  await page.getByLabel('E-mail').fill(`${name.toLowerCase()}-${Date.now()}@example.com`);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill('a long password');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL(/\/board\//);
}
