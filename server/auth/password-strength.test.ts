import { describe, expect, it } from 'vitest';
import { passwordWeakness } from './password-strength.ts';

const ann = { email: 'ann.lee@example.com', name: 'Ann Lee' };

describe('password strength', () => {
  it('refuses common and too simple passwords, and the person’s own e-mail or name', async () => {
    for (const password of ['password', '11111111', '12345678', 'qwertyuiop', 'Password1', 'abcdefgh', 'ann.lee@example.com', 'ANN.LEE@EXAMPLE.COM', 'ann.lee', 'Ann Lee'])
      expect(await passwordWeakness(password, ann), password).not.toBeNull();
  });

  it('accepts a phrase of a few words, such as the test suites’ own', async () => {
    for (const password of ['a long password', 'a good password', 'another password', 'correct horse battery']) expect(await passwordWeakness(password, ann), password).toBeNull();
  });
});
