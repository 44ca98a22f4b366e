import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ServerProcess, pgliteStorage, type Storage } from './server-process.ts';
import { launchChromium } from './browser.ts';
import { linkIn, mailboxes } from './mail.ts';

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

export const E2E_PASSWORD = 'a long password';

/**
 * Sign up through the sign-up form (`path` may carry ?invite=…) and wait for the board it lands on. Without an e-mail
 * invite the form says a link is on its way: the link is read from the server's mailbox and opened in the same page,
 * where the password is entered again. Returns the address used.
 */
export async function signUpInBrowser(page: Page, serverUrl: string, name: string, path = '/signup'): Promise<string> {
  const email = `${name.toLowerCase()}-${Date.now()}@example.com`;
  await page.goto(serverUrl + path);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(E2E_PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  const landed = await Promise.race([
    page.waitForURL(/\/board\//).then(() => 'board' as const),
    page.getByRole('heading', { name: 'Check your e-mail' }).waitFor().then(() => 'check e-mail' as const)
  ]);
  if (landed === 'check e-mail') await confirmSignupInBrowser(page, serverUrl, email);
  return email;
}

/** Open the signup link e-mailed to `email`, enter the password again, and wait for the board. */
export async function confirmSignupInBrowser(page: Page, serverUrl: string, email: string, password = E2E_PASSWORD): Promise<void> {
  const mail = await mailboxes.get(serverUrl)!.waitFor(email, /Confirm your e-mail/);
  await page.goto(linkIn(mail, /^\/verify\//));
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Confirm and open Lanes' }).click();
  await page.waitForURL(/\/board\//);
}
