import type { Context } from 'hono';
import type { z } from 'zod';
import { firstIssue } from '../../shared/deal-fields.ts';

const MAX_BODY_BYTES = 64 * 1024;

/** Parse a JSON body against a schema: the value, or the 400 response that names the field and the reason. */
export async function readBody<T>(c: Context, schema: z.ZodType<T>): Promise<{ ok: true; value: T } | { ok: false; response: Response }> {
  const fail = (field: string, reason: string) => ({ ok: false as const, response: c.json({ error: 'invalid', field, reason }, 400) });
  const tooLarge = () => fail('(body)', `larger than ${MAX_BODY_BYTES} bytes`);
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
  const result = schema.safeParse(json);
  if (!result.success) {
    const { field, reason } = firstIssue(result.error);
    return fail(field, reason);
  }
  return { ok: true, value: result.data };
}
