import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium, driven by playwright-core (no browser download), with the flags this sandbox needs.
 * Playwright gives every launch a fresh, empty profile directory of its own (it refuses --user-data-dir here).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync'
    ]
  });
}

/** A fresh browser context signed in with a session cookie (`name=value`), on a board page that is live. */
export async function boardPageAs(
  browser: Browser,
  serverUrl: string,
  cookie: string,
  path: string,
  viewport = { width: 1600, height: 900 }
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  const [name, value] = cookie.split('=');
  await context.addCookies([{ name, value, url: serverUrl }]);
  const page = await context.newPage();
  await page.goto(serverUrl + path);
  await page.locator('[data-deal-id]').first().waitFor();
  await page.locator('[data-connection="connected"]').waitFor();
  return { context, page };
}
