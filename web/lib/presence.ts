import type { Awareness } from 'y-protocols/awareness';
import { chooseColor, colorFor, safeColors, tintOf, type ColorClaim } from '$shared/presence-colors.ts';

export { colorFor };

/**
 * What each browser publishes in a doc's awareness (y-protocols), documented in the README. Fields other than
 * `user` are optional: an old client that sends only `user` is shown as present and nothing more.
 */
export interface PresenceUser {
  id: string;
  name: string;
  /** Distinct among everyone in the room and kept while the person stays (see keepColorDistinct), and a light tint of it. */
  color: string;
  colorLight: string;
}

/** A card this user is dragging (mouse) or carrying (keyboard), and where it would land now. */
export interface DragState {
  dealId: string;
  stageId: string;
  /** Position in the target column, counted without the moving card (as CardMover counts). */
  index: number;
}

/** Board filters: part of what a presenter shares. */
export interface BoardFilters {
  query: string;
  ownerId: string | null;
  tag: string | null;
}

export const NO_FILTERS: BoardFilters = { query: '', ownerId: null, tag: null };

/** What a presenter shows; followers apply it as it changes. Published in the workspace-wide (contacts) awareness. */
export interface PresentedView {
  pipelineId: string;
  filters: BoardFilters;
  /** Horizontal board scroll, 0 (left edge) to 1 (right edge), so screens of any width line up. */
  scroll: number;
  openDealId: string | null;
}

export interface PresenceState {
  user: PresenceUser;
  /** When this tab took its color (its clock, ms): the earlier claim keeps a color two people picked at once. */
  colorClaimedAt?: number;
  /** The deal whose record this user has open. */
  openDealId?: string | null;
  /** True after a minute without input or with the tab hidden: shown faded. */
  idle?: boolean;
  drag?: DragState | null;
  /** The deal this user spotlights for everyone. */
  spotlightDealId?: string | null;
  /** Set while this user presents (workspace awareness only). */
  presenting?: PresentedView | null;
}

export interface Peer extends PresenceState {
  clientId: number;
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
    // Colors go into CSS: a peer's own choice is used only when it is a hex color (the server checks it too).
    const safeUser: PresenceUser = { id: user.id, name: user.name, ...safeColors(user.id, user.color, user.colorLight) };
    peers.push({ ...(state as PresenceState), user: safeUser, clientId });
  }
  return peers.sort((a, b) => a.user.name.localeCompare(b.user.name) || a.clientId - b.clientId);
}

/**
 * Rewrite, as they arrive, peer colors that are not hex colors to the peer's own, so nothing that draws presence
 * (the notes editor's cursors read the awareness directly) puts a color of someone else's choice into CSS. Register
 * before anything else listens to this awareness.
 */
export function keepPeerColorsSafe(awareness: Awareness): () => void {
  const sanitize = ({ added, updated }: { added: number[]; updated: number[] }) => {
    for (const clientId of [...added, ...updated]) {
      const state = awareness.getStates().get(clientId) as Partial<PresenceState> | undefined;
      const user = state?.user;
      if (!user || typeof user !== 'object' || typeof user.id !== 'string') continue;
      const colors = safeColors(user.id, user.color, user.colorLight);
      if (colors.color !== user.color || colors.colorLight !== user.colorLight) state.user = { ...user, ...colors };
    }
  };
  awareness.on('change', sanitize);
  return () => awareness.off('change', sanitize);
}

/** Every tab in the awareness that announced a user, as a claim on its color. */
function colorClaims(awareness: Awareness): ColorClaim[] {
  const claims: ColorClaim[] = [];
  for (const [clientId, state] of awareness.getStates()) {
    const { user, colorClaimedAt } = state as Partial<PresenceState>;
    if (!user || typeof user.id !== 'string') continue;
    const { color } = safeColors(user.id, user.color, user.colorLight);
    claims.push({ clientId, userId: user.id, color, claimedAt: Number.isFinite(colorClaimedAt) ? Number(colorClaimedAt) : 0 });
  }
  return claims;
}

/**
 * Keep this tab's presence color distinct from everyone else's in the room: on every awareness change, choose this
 * tab's color from everyone's claims (chooseColor) and publish it when it changes. Each browser decides only for
 * itself, from what all of them see, so two people joining at once never settle on the same color. A tab's claim
 * time is fixed when it first publishes (its place in the room's join order), so decisions never go round in circles.
 */
export function keepColorDistinct(
  awareness: Awareness,
  publish: (fields: { user: PresenceUser; colorClaimedAt: number }) => void,
  clock: () => number = Date.now
): () => void {
  const decide = () => {
    const local = awareness.getLocalState() as Partial<PresenceState> | null;
    if (!local?.user) return;
    const claims = colorClaims(awareness);
    const others = claims.filter((claim) => claim.clientId !== awareness.clientID);
    const joined = Number.isFinite(local.colorClaimedAt);
    // Joining comes after every claim already seen, even one from a browser whose clock runs ahead of ours.
    const claimedAt = joined ? Number(local.colorClaimedAt) : Math.max(clock(), ...others.map((claim) => claim.claimedAt + 1));
    const current = safeColors(local.user.id, local.user.color, local.user.colorLight).color;
    const color = chooseColor({ clientId: awareness.clientID, userId: local.user.id, color: current, claimedAt }, others);
    if (joined && color === local.user.color) return;
    publish({ user: { ...local.user, color, colorLight: tintOf(color) }, colorClaimedAt: claimedAt });
  };
  awareness.on('change', decide);
  decide();
  return () => awareness.off('change', decide);
}

/**
 * Call `run` at most once per `intervalMs`, always with the latest arguments, and always once more after the last
 * call (trailing), so the final position of a drag is never lost.
 */
export function throttle<Args extends unknown[]>(run: (...args: Args) => void, intervalMs: number, clock: () => number = Date.now) {
  let last = -Infinity;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let pending: Args | null = null;
  const fire = () => {
    timer = null;
    if (!pending) return;
    const args = pending;
    pending = null;
    last = clock();
    run(...args);
  };
  const call = (...args: Args) => {
    pending = args;
    const wait = last + intervalMs - clock();
    if (wait <= 0 && !timer) fire();
    else if (!timer) timer = setTimeout(fire, Math.max(0, wait));
  };
  call.flush = () => {
    if (timer) clearTimeout(timer);
    fire();
  };
  call.cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    pending = null;
  };
  return call;
}

/** Ghost updates per second while dragging: above the 20/s the meeting view needs, below what floods a socket. */
export const DRAG_UPDATES_PER_SECOND = 30;

/** One avatar per person (a person may have several tabs); idle only when every tab is idle. */
export function peopleOf(peers: readonly Peer[]): Array<{ user: PresenceUser; idle: boolean; tabs: number }> {
  const people = new Map<string, { user: PresenceUser; idle: boolean; tabs: number }>();
  for (const peer of peers) {
    const known = people.get(peer.user.id);
    if (known) {
      known.tabs++;
      known.idle &&= Boolean(peer.idle);
    } else people.set(peer.user.id, { user: peer.user, idle: Boolean(peer.idle), tabs: 1 });
  }
  return [...people.values()];
}

export function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .map((part) => part[0])
    .join('')
    .slice(0, 2)
    .toUpperCase();
}

export interface Ghost {
  user: PresenceUser;
  dealId: string;
  index: number;
}

/** Who is where on the board, by deal and by column: what the cards and columns draw. */
export interface BoardPresence {
  viewers: Map<string, PresenceUser[]>;
  movers: Map<string, PresenceUser>;
  spotlights: Map<string, PresenceUser>;
  ghosts: Map<string, Ghost[]>;
}

export function indexPresence(peers: readonly Peer[], self?: { user: PresenceUser; spotlightDealId: string | null }): BoardPresence {
  const presence: BoardPresence = { viewers: new Map(), movers: new Map(), spotlights: new Map(), ghosts: new Map() };
  for (const peer of peers) {
    if (peer.openDealId) {
      const list = presence.viewers.get(peer.openDealId) ?? [];
      if (!list.some((user) => user.id === peer.user.id)) list.push(peer.user);
      presence.viewers.set(peer.openDealId, list);
    }
    if (peer.drag && typeof peer.drag.dealId === 'string' && typeof peer.drag.stageId === 'string') {
      presence.movers.set(peer.drag.dealId, peer.user);
      const ghosts = presence.ghosts.get(peer.drag.stageId) ?? [];
      ghosts.push({ user: peer.user, dealId: peer.drag.dealId, index: Math.max(0, Math.floor(Number(peer.drag.index) || 0)) });
      presence.ghosts.set(peer.drag.stageId, ghosts);
    }
    if (peer.spotlightDealId) presence.spotlights.set(peer.spotlightDealId, peer.user);
  }
  if (self?.spotlightDealId) presence.spotlights.set(self.spotlightDealId, self.user);
  return presence;
}
