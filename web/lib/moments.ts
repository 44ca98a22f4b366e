/** Moments (epoch milliseconds) shown and typed in the user's own locale and time zone. */

const withSeconds = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const toTheMinute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A moment on the history slider or banner: checkpoints can be seconds apart, so seconds are shown. */
export function formatMoment(at: number): string {
  return Number.isFinite(at) ? withSeconds.format(at) : 'an unknown time';
}

/** When something happened, in a list. */
export function formatWhen(at: number): string {
  return Number.isFinite(at) ? toTheMinute.format(at) : 'at an unknown time';
}

const pad = (value: number) => String(value).padStart(2, '0');

/** The value of an `<input type="datetime-local">` showing `at` in local time, to the minute. */
export function toLocalInput(at: number): string {
  const date = new Date(at);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The moment a `datetime-local` value means in local time; null when it is empty or not a date. */
export function fromLocalInput(value: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return null;
  const at = new Date(value).getTime();
  return Number.isFinite(at) ? at : null;
}

/** A `<time datetime>` value; empty for a moment that is not a real time. */
export function isoMoment(at: number): string {
  return Number.isFinite(at) ? new Date(at).toISOString() : '';
}
