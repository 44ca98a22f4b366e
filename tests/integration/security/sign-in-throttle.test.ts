import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessApp, PASSWORD } from './in-process.ts';

describe('sign-in throttle (#15.7)', () => {
  let lanes: Awaited<ReturnType<typeof inProcessApp>>;
  beforeAll(async () => {
    lanes = await inProcessApp({ trustProxy: true });
  });
  afterAll(() => lanes.close());

  const login = (email: string, password: string, address: string) =>
    lanes.call('POST', '/api/auth/login', { body: { email, password }, headers: { 'x-forwarded-for': address } });

  it('counts each attempt before the password is checked: a parallel burst of 61 gets no extra guess in', async () => {
    const { email } = await lanes.signUp('Owner');
    // 60 wrong guesses and the right password last, all in flight at once from one address.
    const guesses = [...Array.from({ length: 60 }, (_, index) => `wrong guess ${index}`), PASSWORD];
    const answers = await Promise.all(guesses.map((password) => login(email, password, '203.0.113.50')));
    const checked = answers.filter((answer) => answer.status !== 429);
    expect(checked.length).toBeLessThanOrEqual(6);
    expect(answers.at(-1)!.status).toBe(429);
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(0);
  });

  it('a burst from one address neither locks the owner out elsewhere nor makes anyone wait more than a minute', async () => {
    const { email } = await lanes.signUp('Target');
    await Promise.all(Array.from({ length: 61 }, () => login(email, 'wrong guess', '203.0.113.60')));
    // The owner, at home, signs in at once.
    expect((await login(email, PASSWORD, '198.51.100.60')).status).toBe(200);
    // A colleague behind the attacker's address, with their own account, is not slowed either.
    const colleague = await lanes.signUp('Colleague');
    expect((await login(colleague.email, PASSWORD, '203.0.113.60')).status).toBe(200);
    // However long the attacker keeps at it, the wait stays short: slowing, not a lockout.
    for (let round = 0; round < 12; round++) {
      const answer = await login(email, 'wrong guess', '203.0.113.60');
      if (answer.status === 429) expect(Number(answer.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      lanes.advance(61_000);
    }
    expect((await login(email, PASSWORD, '203.0.113.60')).status).toBe(200);
  });
});
