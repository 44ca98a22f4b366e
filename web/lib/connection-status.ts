export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected';

/** What a y-websocket provider reports about its socket. */
export type SocketEvent = 'attempt' | 'open' | 'close';

/**
 * The status to show after a socket event. y-websocket reports a refused socket only by trying again, so after a
 * failed or lost connection the status stays 'disconnected' through the retries until a socket opens.
 */
export function nextStatus(current: ConnectionStatus, event: SocketEvent): ConnectionStatus {
  switch (event) {
    case 'attempt':
      return current === 'disconnected' ? 'disconnected' : 'connecting';
    case 'open':
      return 'connected';
    case 'close':
      return 'disconnected';
  }
}

/** One status for several docs: the board is live only when every doc it shows is. */
export function combinedStatus(statuses: readonly ConnectionStatus[]): ConnectionStatus {
  if (statuses.includes('disconnected')) return 'disconnected';
  return statuses.every((status) => status === 'connected') ? 'connected' : 'connecting';
}
