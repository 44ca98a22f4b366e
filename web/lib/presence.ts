import type { Awareness } from 'y-protocols/awareness';

/**
 * What each browser publishes in a doc's awareness (y-protocols), documented in the README. Fields other than
 * `user` are optional: an old client that sends only `user` is shown as present and nothing more.
 */
export interface PresenceUser {
  id: string;
  name: string;
  /** A stable color per user id (see colorFor), and a light tint of it for selections. */
  color: string;
  colorLight: string;
}

export interface PresenceState {
  user: PresenceUser;
  /** The deal whose record this user has open. */
  openDealId?: string | null;
  /** True after a minute without input or with the tab hidden: shown faded. */
  idle?: boolean;
}

export interface Peer extends PresenceState {
  clientId: number;
}

const PALETTE = ['#d92d20', '#e04f16', '#b54708', '#4ca30d', '#099250', '#0e9384', '#0086c9', '#1570ef', '#444ce7', '#7839ee', '#ba24d5', '#dd2590'];

/** The same user gets the same color on every screen and every day. */
export function colorFor(userId: string): { color: string; colorLight: string } {
  let hash = 2166136261;
  for (let index = 0; index < userId.length; index++) hash = Math.imul(hash ^ userId.charCodeAt(index), 16777619);
  const color = PALETTE[(hash >>> 0) % PALETTE.length];
  return { color, colorLight: `${color}33` };
}

export function presenceUser(user: { id: string; name: string }): PresenceUser {
  return { id: user.id, name: user.name, ...colorFor(user.id) };
}

/** Everyone else in this doc's awareness who announced a user, one entry per browser tab. */
export function readPeers(awareness: Awareness): Peer[] {
  const peers: Peer[] = [];
  for (const [clientId, state] of awareness.getStates()) {
    if (clientId === awareness.clientID) continue;
    const user = (state as Partial<PresenceState>).user;
    if (!user || typeof user.id !== 'string' || typeof user.name !== 'string') continue;
    peers.push({ ...(state as PresenceState), clientId });
  }
  return peers.sort((a, b) => a.user.name.localeCompare(b.user.name) || a.clientId - b.clientId);
}
