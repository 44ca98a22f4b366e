import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** The UI is a single-page app: Hono serves build/ and falls back to index.html for client routes. */
export default {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
    files: {
      src: 'web',
      routes: 'web/routes',
      lib: 'web/lib',
      appTemplate: 'web/app.html',
      serviceWorker: 'web/service-worker',
      assets: 'web/static'
    },
    alias: { $shared: 'shared' }
  }
};
