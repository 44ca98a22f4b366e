import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import { colorFor, keepPeerColorsSafe, peopleOf, readPeers, throttle } from './presence.ts';

describe('presence', () => {
  it('gives a user the same color every time and different users mostly different ones', () => {
    expect(colorFor('user-1')).toEqual(colorFor('user-1'));
    const colors = new Set(Array.from({ length: 40 }, (_, index) => colorFor(`user-${index}`).color));
    expect(colors.size).toBeGreaterThan(6);
  });

  it('lists the other tabs that announced a user, and one person per user id', () => {
    const doc = new Y.Doc();
    const mine = new Awareness(doc);
    mine.setLocalState({ user: { id: 'me', name: 'Me', color: '#000', colorLight: '#0003' } });
    const states = mine.getStates();
    states.set(11, { user: { id: 'ann', name: 'Ann', color: '#111', colorLight: '#1113' }, idle: true });
    states.set(12, { user: { id: 'ann', name: 'Ann', color: '#111', colorLight: '#1113' }, idle: false });
    states.set(13, { something: 'without a user' });
    const peers = readPeers(mine);
    expect(peers.map((peer) => peer.clientId)).toEqual([11, 12]);
    expect(peopleOf(peers)).toEqual([{ user: expect.objectContaining({ id: 'ann' }), idle: false, tabs: 2 }]);
  });

  it('never hands a peer color that is not a hex color to the UI: it shows the user id color instead', () => {
    const mine = new Awareness(new Y.Doc());
    const states = mine.getStates();
    states.set(21, { user: { id: 'eve', name: 'Eve', color: 'red;background:url(https://evil.example/x)', colorLight: 'url(https://evil.example/y)' } });
    states.set(22, { user: { id: 'ann', name: 'Ann', color: '#12ab9f', colorLight: '#12ab9f33' } });
    const [ann, eve] = readPeers(mine);
    expect(eve.user).toEqual({ id: 'eve', name: 'Eve', ...colorFor('eve') });
    expect(ann.user).toMatchObject({ color: '#12ab9f', colorLight: '#12ab9f33' });
  });

  it('rewrites a peer color that is not a hex color as it arrives, before the notes editor draws a cursor with it', () => {
    const theirs = new Awareness(new Y.Doc());
    theirs.setLocalState({ user: { id: 'eve', name: 'Eve', color: 'red;background:url(https://evil.example/x)', colorLight: '#abc' }, cursor: null });
    const mine = new Awareness(new Y.Doc());
    keepPeerColorsSafe(mine);
    const drawn: unknown[] = [];
    // Registered later, like y-codemirror.next's cursor layer: it reads what the sanitizer left.
    mine.on('change', () => drawn.push(mine.getStates().get(theirs.clientID)?.user));
    applyAwarenessUpdate(mine, encodeAwarenessUpdate(theirs, [theirs.clientID]), 'remote');
    expect(drawn).toEqual([{ id: 'eve', name: 'Eve', color: colorFor('eve').color, colorLight: '#abc' }]);
    theirs.destroy();
    mine.destroy();
  });

  it('throttles to one call per interval with the latest arguments, and never drops the last one', () => {
    vi.useFakeTimers();
    try {
      const calls: number[] = [];
      const run = throttle((value: number) => calls.push(value), 100, () => Date.now());
      for (let value = 1; value <= 10; value++) {
        run(value);
        vi.advanceTimersByTime(25);
      }
      vi.advanceTimersByTime(200);
      expect(calls[0]).toBe(1);
      expect(calls.at(-1)).toBe(10);
      expect(calls.length).toBeLessThanOrEqual(4);
    } finally {
      vi.useRealTimers();
    }
  });
});
