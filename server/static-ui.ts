import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Hono, type Context } from 'hono';
import { serveStatic } from '@hono/node-server/serve-static';
import { contentSecurityPolicy, inlineScriptHashes } from './security-headers.ts';

/**
 * The built SvelteKit SPA: files as they are, immutable assets cached, every other path gets index.html, whose
 * inline bootstrap script is allowed by its hash (computed from the built file, so a rebuild needs no config).
 */
/**
 * A board's address also asks the browser to fetch the board's first page (GET /api/pipelines/:id/first-page) while
 * it loads the app's scripts, instead of after them: the page's own fetch of it (same URL, same-origin credentials)
 * takes the preloaded answer.
 */
function firstPagePreload(path: string): Record<string, string> {
  const board = /^\/board\/([A-Za-z0-9_-]{1,64})\/?$/.exec(path);
  return board ? { link: `</api/pipelines/${board[1]}/first-page>; rel=preload; as=fetch; crossorigin` } : {};
}

export function staticUi(uiDir: string) {
  const ui = new Hono();
  let indexPage: Promise<{ html: string; policy: string }> | null = null;
  ui.use('/_app/immutable/*', async (c, next) => {
    await next();
    if (c.res.ok) c.header('cache-control', 'public, max-age=31536000, immutable');
  });
  const serveIndex = async (c: Context) => {
    indexPage ??= readFile(join(uiDir, 'index.html'), 'utf8').then((html) => ({ html, policy: contentSecurityPolicy(inlineScriptHashes(html)) }));
    try {
      const { html, policy } = await indexPage;
      return c.html(html, 200, { 'content-security-policy': policy, ...firstPagePreload(c.req.path) });
    } catch {
      indexPage = null;
      return c.text('The UI is not built yet: run `npm run build`.', 503);
    }
  };
  // index.html is never served as a plain file: it always goes out with its own policy.
  ui.get('/', serveIndex);
  ui.get('/index.html', serveIndex);
  ui.use('*', serveStatic({ root: uiDir }));
  ui.get('*', serveIndex);
  return ui;
}
