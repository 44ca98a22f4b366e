import { afterAll, beforeAll } from 'vitest';
import { ServerProcess, type Storage } from './server-process.ts';
import { signUp, signUpColleague, type Account } from './clients.ts';

/**
 * A real server on a fresh storage with two colleagues, Ann (admin) and Bob (sales, in Ann's workspace), for a
 * describe block: started in beforeAll; in afterAll every client in `clients` is destroyed and everything stopped.
 */
export function teamSuite(create: () => Promise<Storage>, env: Record<string, string> = {}) {
  const team = {
    storage: undefined as unknown as Storage,
    server: undefined as unknown as ServerProcess,
    ann: undefined as unknown as Account,
    bob: undefined as unknown as Account,
    clients: [] as Array<{ destroy(): void }>
  };
  beforeAll(async () => {
    team.storage = await create();
    team.server = await ServerProcess.start(team.storage, env);
    team.ann = await signUp(team.server.url, 'Ann');
    team.bob = await signUpColleague(team.server.url, team.ann, 'Bob');
  });
  afterAll(async () => {
    team.clients.forEach((client) => client.destroy());
    await team.server?.stop();
    await team.storage?.dispose();
  });
  return team;
}
