import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Hono } from 'hono';
import { serveStatic } from '@hono/node-server/serve-static';

/** The built SvelteKit SPA: files as they are, immutable assets cached, every other path gets index.html. */
export function staticUi(uiDir: string) {
  const ui = new Hono();
  let indexHtml: Promise<string> | null = null;
  ui.use('/_app/immutable/*', async (c, next) => {
    await next();
    if (c.res.ok) c.header('cache-control', 'public, max-age=31536000, immutable');
  });
  ui.use('*', serveStatic({ root: uiDir }));
  ui.get('*', async (c) => {
    indexHtml ??= readFile(join(uiDir, 'index.html'), 'utf8');
    try {
      return c.html(await indexHtml);
    } catch {
      indexHtml = null;
      return c.text('The UI is not built yet: run `npm run build`.', 503);
    }
  });
  return ui;
}
