import { z } from 'zod';

/** Field rules for deals and contacts, shared by the UI forms, the doc accessors and the REST API. */
export const CURRENCIES = ['USD', 'EUR', 'GBP', 'CHF', 'JPY', 'CAD', 'AUD', 'SEK'] as const;

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'use the form YYYY-MM-DD')
  // Date.parse rolls 2026-02-30 over to March 2; a real date reads back as itself.
  .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value), 'not a real date');

export const tagSchema = z.string().trim().min(1, 'a tag cannot be empty').max(32, 'at most 32 characters');
const tag = tagSchema;

export const dealFieldsSchema = z
  .object({
    title: z.string().trim().min(1, 'a deal needs a title').max(200, 'at most 200 characters'),
    value: z.number().finite('must be a number').min(0, 'cannot be negative').max(1e12, 'too large'),
    currency: z.enum(CURRENCIES, 'choose a listed currency'),
    contactId: z.string().max(64).nullable(),
    ownerId: z.string().max(64).nullable(),
    expectedCloseDate: isoDate.nullable(),
    tags: z.array(tag).max(20, 'at most 20 tags')
  })
  .strict();

export type DealFields = z.infer<typeof dealFieldsSchema>;
export const dealPatchSchema = dealFieldsSchema.partial().strict();
export type DealPatch = z.infer<typeof dealPatchSchema>;

/** A board stage as the doc holds it (renameStage writes the name; the server writes the rest at creation). */
export const stageFieldsSchema = z
  .object({
    name: z.string().trim().min(1, 'a stage needs a name').max(80, 'at most 80 characters'),
    probability: z.number().min(0, 'at least 0').max(100, 'at most 100'),
    outcome: z.enum(['open', 'won', 'lost'], 'one of open, won, lost')
  })
  .strict();

export const contactFieldsSchema = z
  .object({
    name: z.string().trim().min(1, 'a contact needs a name').max(120, 'at most 120 characters'),
    email: z.union([z.email('not an e-mail address').max(254), z.literal('')]),
    company: z.string().trim().max(120, 'at most 120 characters'),
    phone: z.string().trim().max(40, 'at most 40 characters')
  })
  .strict();

export type ContactFields = z.infer<typeof contactFieldsSchema>;
export const contactPatchSchema = contactFieldsSchema.partial().strict();
export type ContactPatch = z.infer<typeof contactPatchSchema>;

/** First problem of a failed parse as {field, reason}: what a form shows next to the field and what the API returns. */
export function firstIssue(error: z.ZodError): { field: string; reason: string } {
  const issue = error.issues[0];
  const path = issue?.path.join('.') ?? '';
  // An unknown field is named as the field, so a client sees which key to drop.
  if (issue?.code === 'unrecognized_keys') return { field: [path, issue.keys[0]].filter(Boolean).join('.'), reason: 'unknown field' };
  return { field: path || '(body)', reason: issue?.message ?? 'invalid' };
}

export class InvalidFieldError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string
  ) {
    super(`${field}: ${reason}`);
    this.name = 'InvalidFieldError';
  }
}

export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const { field, reason } = firstIssue(result.error);
  throw new InvalidFieldError(field, reason);
}
