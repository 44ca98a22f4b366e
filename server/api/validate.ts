import type { Context } from 'hono';
import type { z } from 'zod';
import { firstIssue } from '../../shared/deal-fields.ts';

const MAX_BODY_BYTES = 64 * 1024;

/**
 * Only `application/json` bodies are read: a foreign page can post `text/plain` or a form without a CORS preflight,
 * never JSON, so this closes the login-CSRF path that a simple form would open.
 */
function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/** The path of the first string (value or key) in a parsed JSON value that holds a NUL character, which Postgres refuses. */
export function nulCharacterAt(value: unknown, path: string[] = []): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path.join('.') || '(body)' : null;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = nulCharacterAt(item, [...path, String(index)]);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\u0000')) return [...path, key].join('.');
      const found = nulCharacterAt(item, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}

/** Parse a JSON body against a schema: the value, or the 400 (415) response that names the field and the reason. */
export async function readBody<T>(c: Context, schema: z.ZodType<T>): Promise<{ ok: true; value: T } | { ok: false; response: Response }> {
  const fail = (field: string, reason: string) => ({ ok: false as const, response: c.json({ error: 'invalid', field, reason }, 400) });
  const tooLarge = () => fail('(body)', `larger than ${MAX_BODY_BYTES} bytes`);
  if (!isJson(c.req.header('content-type'))) {
    return { ok: false, response: c.json({ error: 'unsupported_media_type', field: '(body)', reason: 'send the body as application/json' }, 415) };
  }
  // Refuse by the declared length before reading; then count the bytes actually read (not characters).
  if (Number(c.req.header('content-length') ?? 0) > MAX_BODY_BYTES) return tooLarge();
  const bytes = await c.req.arrayBuffer();
  if (bytes.byteLength > MAX_BODY_BYTES) return tooLarge();
  const text = new TextDecoder().decode(bytes);
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    return fail('(body)', 'not valid JSON');
  }
  const nul = nulCharacterAt(json);
  if (nul) return fail(nul, 'must not contain a NUL character');
  const result = schema.safeParse(json);
  if (!result.success) {
    const { field, reason } = firstIssue(result.error);
    return fail(field, reason);
  }
  return { ok: true, value: result.data };
}
