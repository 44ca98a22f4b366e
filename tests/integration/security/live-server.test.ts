import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy, inlineScriptHashes } from '../../../server/security-headers.ts';
import { boardRoom } from '../../../shared/rooms.ts';
import { api, connectClient, eventually, signUp } from '../../support/clients.ts';
import { pgliteStorage, ServerProcess, type Storage } from '../../support/server-process.ts';

const BUILT = existsSync(resolve(import.meta.dirname, '../../../build/index.html'));

/** The directives of a CSP header, by name. */
function directives(policy: string | null): Record<string, string[]> {
  return Object.fromEntries((policy ?? '').split(';').map((part) => part.trim().split(/\s+/)).filter((words) => words[0]).map(([name, ...values]) => [name, values]));
}

describe('inline script hashes', () => {
  it('hashes exactly the inline scripts of a page, not those loaded by src', () => {
    const html = '<script>boot()</script><script src="/x.js"></script><script type="module">\n  go();\n</script>';
    const sha = (text: string) => `sha256-${createHash('sha256').update(text).digest('base64')}`;
    expect(inlineScriptHashes(html)).toEqual([sha('boot()'), sha('\n  go();\n')]);
    expect(contentSecurityPolicy([sha('boot()')])).toContain(`script-src 'self' '${sha('boot()')}'`);
  });
});

describe.skipIf(!BUILT)('security headers (#15.11) and token revocation (#15.9) on the real server', () => {
  let storage: Storage;
  let server: ServerProcess;
  beforeAll(async () => {
    storage = pgliteStorage();
    server = await ServerProcess.start(storage);
  });
  afterAll(async () => {
    await server?.stop();
    await storage?.dispose();
  });

  it('serves the UI with a CSP that allows its own bootstrap script by hash and nothing inline besides', async () => {
    for (const path of ['/', '/index.html', '/board/some-id', '/invite/some-token']) {
      const response = await fetch(server.url + path);
      const html = await response.text();
      expect(response.status, path).toBe(200);
      const csp = directives(response.headers.get('content-security-policy'));
      expect(csp['frame-ancestors'], path).toEqual(["'none'"]);
      expect(csp['script-src']).not.toContain("'unsafe-inline'");
      expect(csp['script-src']).not.toContain("'unsafe-eval'");
      const hashes = inlineScriptHashes(html);
      expect(hashes.length, 'SvelteKit’s inline bootstrap').toBeGreaterThan(0);
      for (const hash of hashes) expect(csp['script-src']).toContain(`'${hash}'`);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  it('sends the headers on API answers, errors and static files too', async () => {
    for (const path of ['/api/me', '/api/nothing', '/healthz', '/metrics', '/favicon.svg', '/service-worker.js']) {
      const response = await fetch(server.url + path);
      await response.arrayBuffer();
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(directives(response.headers.get('content-security-policy'))['frame-ancestors'], path).toEqual(["'none'"]);
    }
  });

  it('revoking an API token closes the sync sockets opened with it, at once (4401)', async () => {
    const ann = await signUp(server.url, 'Ann');
    const client = connectClient(server.wsUrl, boardRoom(ann.pipelineId), { token: ann.token });
    const closes: number[] = [];
    client.provider.on('connection-close', (event: CloseEvent | null) => {
      if (event) closes.push(event.code);
    });
    await client.synced;
    const listed = await api(server.url, '/api/tokens', { cookie: ann.cookie });
    const tokenId = listed.json.find((token: { name: string }) => token.name === 'tests').id;
    expect((await api(server.url, `/api/tokens/${tokenId}`, { method: 'DELETE', cookie: ann.cookie })).status).toBe(204);
    await eventually(() => expect(closes).toContain(4401));
    client.destroy();
  });
});
