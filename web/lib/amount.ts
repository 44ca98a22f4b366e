/**
 * The locale amounts are typed in: the browser's, since a workspace has no locale setting yet. The parser itself
 * lives in shared/amount.ts so every form and the API read amounts the same way.
 */
export function typingLocale(): string {
  return (typeof navigator !== 'undefined' && navigator.language) || 'en-US';
}
