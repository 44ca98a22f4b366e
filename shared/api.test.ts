import { describe, expect, it } from 'vitest';
import { pipelineCreateSchema } from './api.ts';
import { firstIssue } from './deal-fields.ts';
import { DEFAULT_STAGES } from './sample-pipeline.ts';

const open = (name: string, probability = 50) => ({ name, probability, outcome: 'open' as const });
const problem = (stages: unknown) => {
  const parsed = pipelineCreateSchema.safeParse({ name: 'Renewals', stages });
  return parsed.success ? null : firstIssue(parsed.error);
};

describe('pipeline stage rules', () => {
  it('accepts the sales stages', () => {
    expect(problem(DEFAULT_STAGES)).toBeNull();
  });

  it('refuses a won stage below 100%, naming its probability', () => {
    expect(problem([open('Talk'), { name: 'Won', probability: 80, outcome: 'won' }])).toEqual({ field: 'stages.1.probability', reason: 'a won stage is 100%' });
  });

  it('refuses a lost stage above 0%, naming its probability', () => {
    expect(problem([open('Talk'), { name: 'Won', probability: 100, outcome: 'won' }, { name: 'Lost', probability: 100, outcome: 'lost' }])).toEqual({
      field: 'stages.2.probability',
      reason: 'a lost stage is 0%'
    });
  });

  it('refuses a stage name twice, whatever its case or spaces, naming the second', () => {
    expect(problem([open('Talk'), open('Demo'), open(' talk ')])).toEqual({ field: 'stages.2.name', reason: 'each stage name once' });
  });

  it('refuses a pipeline with no open stage', () => {
    expect(problem([{ name: 'Won', probability: 100, outcome: 'won' }, { name: 'Lost', probability: 0, outcome: 'lost' }])).toEqual({
      field: 'stages',
      reason: 'at least one open stage, where deals are worked'
    });
  });

  it('lets open stages have any probability', () => {
    expect(problem([open('Long shot', 0), open('Nearly there', 100)])).toBeNull();
  });
});
