import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

/**
 * The Content-Security-Policy of every response. Scripts only from this origin (plus, for the UI's index.html, the
 * exact inline bootstrap script it carries, by hash); no framing; no plugins. Styles keep 'unsafe-inline' because
 * Svelte and CodeMirror set style attributes and elements at run time, and a style cannot run code.
 */
export function contentSecurityPolicy(scriptHashes: readonly string[] = []): string {
  return [
    "default-src 'self'",
    `script-src 'self'${scriptHashes.map((hash) => ` '${hash}'`).join('')}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'"
  ].join('; ');
}

/** `sha256-…` of every inline <script> (one without `src`) in an HTML page, as CSP source expressions. */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const match of html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script>/gi)) {
    if (/\ssrc\s*=/i.test(match[1] ?? '')) continue;
    hashes.push(`sha256-${createHash('sha256').update(match[2], 'utf8').digest('base64')}`);
  }
  return hashes;
}

const DEFAULT_POLICY = contentSecurityPolicy();

/** Hono's standard set (nosniff, no-referrer, COOP, CORP …) without replacing what a route set itself. */
const standardHeaders = secureHeaders({ xFrameOptions: 'DENY', referrerPolicy: 'no-referrer', strictTransportSecurity: false, overwrite: false });

/**
 * Headers every HTTP response carries. Referrer-Policy no-referrer: invite tokens travel in /invite/<token> URLs,
 * so no page of Lanes may tell another site where it came from. A route may set its own CSP first (index.html does,
 * with the hashes of its inline scripts); every other response gets the default one.
 */
export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await standardHeaders(c, next);
  if (!c.res.headers.has('content-security-policy')) c.res.headers.set('content-security-policy', DEFAULT_POLICY);
};
