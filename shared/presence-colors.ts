/**
 * Presence colors: each user's color comes from their id, the same on every screen. Colors arrive in other people's
 * awareness states and end up in CSS, so both the server and the browser accept only hex colors.
 */
const PALETTE = ['#d92d20', '#e04f16', '#b54708', '#4ca30d', '#099250', '#0e9384', '#0086c9', '#1570ef', '#444ce7', '#7839ee', '#ba24d5', '#dd2590'];

/** The same user gets the same color on every screen and every day; `colorLight` is a translucent tint of it. */
export function colorFor(userId: string): { color: string; colorLight: string } {
  let hash = 2166136261;
  for (let index = 0; index < userId.length; index++) hash = Math.imul(hash ^ userId.charCodeAt(index), 16777619);
  const color = PALETTE[(hash >>> 0) % PALETTE.length];
  return { color, colorLight: `${color}33` };
}

/** `#rgb`, `#rgba`, `#rrggbb` or `#rrggbbaa`: nothing that could carry a URL or close a CSS declaration. */
export function isHexColor(value: unknown): value is string {
  return typeof value === 'string' && /^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.test(value);
}

/** `color` and `colorLight` when both are hex colors, else the user's own colors from their id. */
export function safeColors(userId: string, color: unknown, colorLight: unknown): { color: string; colorLight: string } {
  const own = colorFor(userId);
  return { color: isHexColor(color) ? color : own.color, colorLight: isHexColor(colorLight) ? colorLight : own.colorLight };
}
