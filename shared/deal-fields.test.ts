import { describe, expect, it } from 'vitest';
import { dealPatchSchema } from './deal-fields.ts';

describe('expectedCloseDate', () => {
  it.each(['2026-02-30', '2027-02-29', '2026-04-31', '2026-13-01', '2026-00-10'])('refuses the impossible date %s', (date) => {
    expect(dealPatchSchema.safeParse({ expectedCloseDate: date }).success).toBe(false);
  });

  it.each(['2028-02-29', '2026-12-31', '2026-01-01'])('accepts the real date %s', (date) => {
    expect(dealPatchSchema.safeParse({ expectedCloseDate: date }).success).toBe(true);
  });
});
