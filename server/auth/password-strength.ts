import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

/**
 * Too-easy passwords are refused with zxcvbn-ts (@zxcvbn-ts/core with its common-language package: the most
 * common leaked passwords, names and words, keyboard walks, repeats, sequences and dates), scored against the
 * person's own e-mail and name as well. Score 2 ("somewhat guessable", about 10⁶ guesses or more) is the least we
 * accept: `password`, `11111111`, `qwertyuiop` or your e-mail score 0, a phrase like `a long password` scores 3.
 */
export const MIN_PASSWORD_SCORE = 2;

let estimator: ZxcvbnFactory | null = null;

/** Why this password is too weak for this person, or null when it will do. */
export function passwordWeakness(password: string, person: { email: string; name: string }): string | null {
  const email = person.email.trim().toLowerCase();
  const lowered = password.trim().toLowerCase();
  if (lowered === email || lowered === email.split('@')[0] || lowered === person.name.trim().toLowerCase()) {
    return 'must not be your e-mail address or name';
  }
  estimator ??= new ZxcvbnFactory({ dictionary: { ...dictionary }, graphs: adjacencyGraphs });
  const result = estimator.check(password.slice(0, 100), [email, ...email.split(/[@.]/), person.name]);
  if (result.score >= MIN_PASSWORD_SCORE) return null;
  return 'too common or too easy to guess: try a phrase of a few unrelated words';
}
