import { connect as tcpConnect } from 'node:net';

/** Does anything answer on the host and port of this redis:// URL? */
export function redisAnswers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = tcpConnect(Number(port || 6379), hostname);
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * What a several-instances test lacks on this machine (one shared Postgres through DATABASE_URL, a Redis answering at
 * REDIS_URL): the reasons, empty when it can run. Also prints "<what>: skipped: <reasons>" when something is missing.
 */
export async function missingForInstances(what: string, more: Array<string | false> = []): Promise<string[]> {
  const redisUrl = process.env.REDIS_URL;
  const missing = [
    !process.env.DATABASE_URL && 'DATABASE_URL is not set (several instances share one Postgres)',
    !redisUrl && 'REDIS_URL is not set',
    !!redisUrl && !(await redisAnswers(redisUrl)) && `nothing answers at REDIS_URL (${redisUrl})`,
    ...more
  ].filter((reason): reason is string => !!reason);
  if (missing.length) console.warn(`${what}: skipped: ${missing.join('; ')}`);
  return missing;
}
