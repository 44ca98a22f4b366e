import { describe, expect, it } from 'vitest';
import { combinedStatus, nextStatus, type ConnectionStatus, type SocketEvent } from './connection-status.ts';

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
});
