/** `disconnected`: the server cannot be reached and Lanes retries; `offline`: the browser itself has no network. */
export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected' | 'offline';

/** What a y-websocket provider reports about its socket. */
export type SocketEvent = 'attempt' | 'open' | 'close' | 'offline' | 'online';

/**
 * The status to show after a socket event. y-websocket reports a refused socket only by trying again, so after a
 * failed or lost connection the status stays 'disconnected' through the retries until a socket opens.
 */
export function nextStatus(current: ConnectionStatus, event: SocketEvent): ConnectionStatus {
  switch (event) {
    case 'attempt':
      return current === 'disconnected' || current === 'offline' ? current : 'connecting';
    case 'open':
      return 'connected';
    case 'close':
      return current === 'offline' ? 'offline' : 'disconnected';
    case 'offline':
      return 'offline';
    case 'online':
      return current === 'offline' ? 'disconnected' : current;
  }
}

/**
 * Wait before reconnect attempt `attempt` (0 for the first after a drop): "full jitter" exponential back-off, a
 * random wait between 0 and min(cap, base·2^attempt), so a restarted server is not hit by every client at once.
 */
export function reconnectDelay(attempt: number, random: () => number = Math.random, baseMs = 500, capMs = 30_000): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30)));
}

/** One status for several docs: the board is live only when every doc it shows is. */
export function combinedStatus(statuses: readonly ConnectionStatus[]): ConnectionStatus {
  if (statuses.includes('offline')) return 'offline';
  if (statuses.includes('disconnected')) return 'disconnected';
  return statuses.every((status) => status === 'connected') ? 'connected' : 'connecting';
}
