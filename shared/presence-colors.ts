/**
 * Presence colors. Colors arrive in other people's awareness states and end up in CSS, so both the server and the
 * browser accept only hex colors. Each person starts from a preferred color (from their id) and, in a room, moves to
 * the least-used color when someone who claimed theirs earlier holds it: colors are distinct among everyone in the
 * room (up to PALETTE.length people) and a person keeps theirs while they stay.
 */

/** Sixteen colors told apart at a glance, each at least 4.5:1 against white (WCAG AA for names and white initials). */
export const PALETTE = [
  '#b42318', '#175cd3', '#067647', '#9f1ab1', '#c4320a', '#0e7090', '#6927da', '#5a6b00',
  '#c11574', '#3538cd', '#107569', '#8a5a00', '#4e5ba6', '#a2134f', '#3b7c0f', '#7a2e0e'
] as const;

function hashOf(userId: string): number {
  let hash = 2166136261;
  for (let index = 0; index < userId.length; index++) hash = Math.imul(hash ^ userId.charCodeAt(index), 16777619);
  return hash >>> 0;
}

/** A translucent tint of a color, for selections and highlights. */
export const tintOf = (color: string): string => `${color}33`;

/** The color a user starts with: the same on every screen and every day, before the room is known. */
export function colorFor(userId: string): { color: string; colorLight: string } {
  const color = PALETTE[hashOf(userId) % PALETTE.length];
  return { color, colorLight: tintOf(color) };
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

/** One tab's color in a room, and when it took it: an earlier claim keeps the color, ties go to the lower client id. */
export interface ColorClaim {
  clientId: number;
  userId: string;
  color: string;
  /** Milliseconds (the claiming browser's clock); a client that never says is treated as the earliest. */
  claimedAt: number;
}

const earlier = (a: ColorClaim, b: ColorClaim) => a.claimedAt < b.claimedAt || (a.claimedAt === b.claimedAt && a.clientId < b.clientId);

/**
 * The color `self` should hold, given every other tab in the room. Every browser runs this for its own tab only,
 * and every input is in the shared awareness, so two people joining at once resolve the same way on both sides:
 * the later claim moves. Nobody moves without a reason: a color is kept unless someone who claimed it first holds
 * it and a less-used color is free.
 */
export function chooseColor(self: ColorClaim, others: readonly ColorClaim[]): string {
  // Tabs of one person share a color: a later tab takes the earliest tab's.
  const ownTabs = others.filter((other) => other.userId === self.userId && earlier(other, self));
  if (ownTabs.length) return ownTabs.reduce((first, tab) => (earlier(tab, first) ? tab : first)).color;

  // Each other person counts once, by their earliest tab.
  const people = new Map<string, ColorClaim>();
  for (const other of others) {
    if (other.userId === self.userId) continue;
    const known = people.get(other.userId);
    if (!known || earlier(other, known)) people.set(other.userId, other);
  }
  const usage = new Map<string, number>();
  for (const person of people.values()) usage.set(person.color, (usage.get(person.color) ?? 0) + 1);
  const used = (color: string) => usage.get(color) ?? 0;

  const outranked = [...people.values()].some((person) => person.color === self.color && earlier(person, self));
  if (!outranked) return self.color;
  // The least-used color, trying the palette from this person's preferred color on, so people spread differently.
  const start = hashOf(self.userId) % PALETTE.length;
  let best: string = self.color;
  for (let step = 0; step < PALETTE.length; step++) {
    const candidate = PALETTE[(start + step) % PALETTE.length];
    if (used(candidate) < used(best)) best = candidate;
  }
  return best;
}
