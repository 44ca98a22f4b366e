import { describe, expect, it } from 'vitest';
import { combinedStatus, nextStatus, reconnectDelay, type ConnectionStatus, type SocketEvent } from './connection-status.ts';

const replay = (events: SocketEvent[]): ConnectionStatus[] => {
  let status: ConnectionStatus = 'connecting';
  return events.map((event) => (status = nextStatus(status, event)));
};

describe('connection status', () => {
  it('shows a refused socket as disconnected, and keeps it so while the provider retries', () => {
    expect(replay(['attempt', 'close', 'attempt', 'close', 'attempt'])).toEqual([
      'connecting',
      'disconnected',
      'disconnected',
      'disconnected',
      'disconnected'
    ]);
  });

  it('is connected once a socket opens, and disconnected when it drops', () => {
    expect(replay(['attempt', 'open', 'close', 'attempt', 'open'])).toEqual(['connecting', 'connected', 'disconnected', 'disconnected', 'connected']);
  });

  it('calls a board live only when the board and its contacts are both connected', () => {
    expect(combinedStatus(['connected', 'connected'])).toBe('connected');
    expect(combinedStatus(['connected', 'connecting'])).toBe('connecting');
    expect(combinedStatus(['connecting', 'disconnected'])).toBe('disconnected');
  });

  it('stays offline through failed attempts until a socket opens', () => {
    expect(replay(['attempt', 'open', 'offline', 'attempt', 'close', 'open'])).toEqual(['connecting', 'connected', 'offline', 'offline', 'offline', 'connected']);
    expect(combinedStatus(['offline', 'disconnected'])).toBe('offline');
  });

  it('spreads reconnects with full jitter under an exponential, capped ceiling', () => {
    expect(reconnectDelay(0, () => 0.999)).toBe(499);
    expect(reconnectDelay(3, () => 0.5)).toBe(2_000);
    expect(reconnectDelay(20, () => 0.999)).toBe(29_970);
    expect(reconnectDelay(5, () => 0)).toBe(0);
    // A thousand clients after a restart: their first retries spread over the whole window, not one instant.
    const delays = Array.from({ length: 1000 }, () => reconnectDelay(2));
    const buckets = new Set(delays.map((delay) => Math.floor(delay / 200)));
    expect(buckets.size).toBe(10);
  });
});
