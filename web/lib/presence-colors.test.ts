import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as Y from 'yjs';
import { applyAwarenessUpdate, Awareness, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import { colorFor, PALETTE } from '$shared/presence-colors.ts';
import { keepColorDistinct, type PresenceState } from './presence.ts';

interface Tab {
  name: string;
  userId: string;
  awareness: Awareness;
  stop: () => void;
}

/**
 * A room of browser tabs whose awareness updates travel through a queue, delivered in any order the test picks
 * (as a server relays them): what lands, and when, is up to the test, so joins can race.
 */
class Room {
  readonly tabs = new Map<string, Tab>();
  private readonly queue: Array<{ to: string; update: Uint8Array }> = [];
  private time = 1_000;
  private opened = 0;

  join(userId: string): string {
    const name = `tab-${++this.opened}`;
    const awareness = new Awareness(new Y.Doc());
    awareness.on('update', ({ added, updated, removed }: Record<string, number[]>, origin: unknown) => {
      if (origin === 'remote') return;
      const update = encodeAwarenessUpdate(awareness, [...added, ...updated, ...removed]);
      for (const other of this.tabs.keys()) if (other !== name) this.queue.push({ to: other, update });
    });
    const stop = keepColorDistinct(awareness, (fields) => awareness.setLocalState({ ...awareness.getLocalState(), ...fields }), () => ++this.time);
    // What the server answers a newcomer: everyone's current state.
    for (const tab of this.tabs.values()) this.queue.push({ to: name, update: encodeAwarenessUpdate(tab.awareness, [tab.awareness.clientID]) });
    this.tabs.set(name, { name, userId, awareness, stop });
    awareness.setLocalState({ user: { id: userId, name: userId, ...colorFor(userId) } });
    return name;
  }

  leave(name: string): void {
    const tab = this.tabs.get(name)!;
    this.tabs.delete(name);
    tab.stop();
    for (const other of this.tabs.values()) removeAwarenessStates(other.awareness, [tab.awareness.clientID], 'remote');
    tab.awareness.destroy();
  }

  deliver(pick: number): void {
    const [message] = this.queue.splice(pick % this.queue.length, 1);
    const tab = this.tabs.get(message.to);
    if (tab) applyAwarenessUpdate(tab.awareness, message.update, 'remote');
  }

  get pending(): number {
    return this.queue.length;
  }

  settle(): void {
    while (this.queue.length) this.deliver(0);
  }

  /** Each tab's color as every tab sees it (its own included). */
  views(): Array<Map<string, string>> {
    return [...this.tabs.values()].map((viewer) => {
      const seen = new Map<string, string>();
      for (const tab of this.tabs.values()) {
        const state = viewer.awareness.getStates().get(tab.awareness.clientID) as PresenceState | undefined;
        seen.set(tab.name, state?.user.color ?? 'unseen');
      }
      return seen;
    });
  }
}

function colorsOf(room: Room): Map<string, string> {
  const [first, ...rest] = room.views();
  for (const view of rest) expect(Object.fromEntries(view)).toEqual(Object.fromEntries(first));
  return first ?? new Map();
}

type Step = { kind: 'join'; user: number } | { kind: 'leave'; pick: number } | { kind: 'deliver'; pick: number };

describe('presence colors in a room', () => {
  it('gives three people who all prefer the same color three different colors', () => {
    // Find three user ids whose starting color is the same: the case that clashed with hashing alone.
    const sameStart = Array.from({ length: 400 }, (_, index) => `user-${index}`).filter((id) => colorFor(id).color === PALETTE[0]).slice(0, 3);
    expect(sameStart).toHaveLength(3);
    const room = new Room();
    // All three join before any of them has heard of the others.
    for (const userId of sameStart) room.join(userId);
    room.settle();
    const colors = colorsOf(room);
    expect(new Set(colors.values()).size).toBe(3);
  });

  it('many people joining and leaving, some at once: everyone agrees, colors are distinct, and nobody who stays changes color', () => {
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant('join' as const), user: fc.nat(22) }),
      fc.record({ kind: fc.constant('leave' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat() })
    );
    fc.assert(
      fc.property(fc.array(fc.array(step, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 12 }), (batches) => {
        const room = new Room();
        try {
          let settled = new Map<string, string>();
          let settledPeople = 0;
          for (const batch of batches) {
            // Within a batch people come and go while updates are still on the way: joins race.
            for (const action of batch) {
              if (action.kind === 'join') room.join(`user-${action.user}`);
              else if (action.kind === 'leave' && room.tabs.size) room.leave([...room.tabs.keys()][action.pick % room.tabs.size]);
              else if (action.kind === 'deliver' && room.pending) room.deliver(action.pick);
            }
            room.settle();
            const colors = colorsOf(room);
            // Tabs of one person share a color; different people differ while the palette lasts, else all of it is used.
            const byUser = new Map<string, Set<string>>();
            for (const [name, color] of colors) {
              const userId = room.tabs.get(name)!.userId;
              byUser.set(userId, (byUser.get(userId) ?? new Set()).add(color));
            }
            for (const tabsColors of byUser.values()) expect(tabsColors.size).toBe(1);
            const personColors = [...byUser.values()].map((set) => [...set][0]);
            if (byUser.size <= PALETTE.length) expect(new Set(personColors).size).toBe(byUser.size);
            else expect(new Set(personColors).size).toBe(PALETTE.length);
            // Someone who was settled before this batch and is still here kept their color (within the palette).
            if (byUser.size <= PALETTE.length && settledPeople <= PALETTE.length) {
              for (const [name, color] of settled) if (colors.has(name)) expect(colors.get(name), name).toBe(color);
            }
            settled = colors;
            settledPeople = byUser.size;
          }
        } finally {
          for (const name of [...room.tabs.keys()]) room.leave(name);
        }
      }),
      { numRuns: 100 }
    );
  });
});
