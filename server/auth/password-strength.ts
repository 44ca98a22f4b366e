import { OnDemandThread } from '../on-demand-thread.ts';

/**
 * Too-easy passwords are refused with zxcvbn-ts (@zxcvbn-ts/core with its common-language package: the most
 * common leaked passwords, names and words, keyboard walks, repeats, sequences and dates), scored against the
 * person's own e-mail and name as well. Score 2 ("somewhat guessable", about 10⁶ guesses or more) is the least we
 * accept: `password`, `11111111`, `qwertyuiop` or your e-mail score 0, a phrase like `a long password` scores 3.
 */
export const MIN_PASSWORD_SCORE = 2;

/**
 * zxcvbn scores on a thread of its own (password-worker.js), started by the first password to score and stopped 2 s
 * after the last: its dictionaries would otherwise stay in the main thread's heap for good. Starting it takes ~130 ms
 * (then ~1 ms a password), paid by a signup, a reset or a change of password, next to their ~25 ms argon2 hash;
 * a burst of them (an office signing up together) keeps it running.
 */
const scorer = new OnDemandThread<{ password: string; userInputs: string[] }, number>({
  name: 'password scoring',
  script: new URL('./password-worker.js', import.meta.url),
  idleMs: 2_000
});

/** Why this password is too weak for this person, or null when it will do. */
export async function passwordWeakness(password: string, person: { email: string; name: string }): Promise<string | null> {
  const email = person.email.trim().toLowerCase();
  const lowered = password.trim().toLowerCase();
  if (lowered === email || lowered === email.split('@')[0] || lowered === person.name.trim().toLowerCase()) {
    return 'must not be your e-mail address or name';
  }
  const score = await scorer.run({ password: password.slice(0, 100), userInputs: [email, ...email.split(/[@.]/), person.name] });
  if (score >= MIN_PASSWORD_SCORE) return null;
  return 'too common or too easy to guess: try a phrase of a few unrelated words';
}
