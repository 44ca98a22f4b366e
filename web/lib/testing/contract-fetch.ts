import { vi } from 'vitest';

/**
 * Component tests stand in for the server at the `fetch` boundary: each route answers what the REST contract says,
 * and every call is recorded, so a test checks both what the UI shows and what it sent.
 */
export type RouteAnswer = Response | ((url: URL, init: RequestInit) => Response | Promise<Response>);

export interface ContractFetch {
  /** Every call, in order: method, path with query, and the JSON body if any. */
  calls: Array<{ method: string; url: URL; body: unknown }>;
  /** Answer `method path` (path without query; `:name` matches one segment) with `answer`; later routes win. */
  on(method: string, path: string, answer: RouteAnswer): ContractFetch;
  callsTo(method: string, path: string): Array<{ method: string; url: URL; body: unknown }>;
}

export const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

export const refusal = (status: number, error: string, reason: string) => json(status, { error, reason });

export const bytes = (data: Uint8Array, headers: Record<string, string> = {}) =>
  new Response(data.slice().buffer as ArrayBuffer, { status: 200, headers: { 'content-type': 'application/octet-stream', ...headers } });

const matches = (pattern: string, path: string) => new RegExp(`^${pattern.replace(/:[A-Za-z]+/g, '[^/]+')}$`).test(path);

export function contractFetch(): ContractFetch {
  const routes: Array<{ method: string; path: string; answer: RouteAnswer }> = [];
  const calls: ContractFetch['calls'] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://lanes.test');
    const method = (init.method ?? 'GET').toUpperCase();
    calls.push({ method, url, body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined });
    const route = [...routes].reverse().find((candidate) => candidate.method === method && matches(candidate.path, url.pathname));
    if (!route) return refusal(404, 'not_found', `no test route for ${method} ${url.pathname}`);
    const answer = typeof route.answer === 'function' ? await route.answer(url, init) : route.answer.clone();
    return answer;
  });
  vi.stubGlobal('fetch', fetchMock);
  const api: ContractFetch = {
    calls,
    on(method, path, answer) {
      routes.push({ method, path, answer });
      return api;
    },
    callsTo: (method, path) => calls.filter((call) => call.method === method && matches(path, call.url.pathname))
  };
  return api;
}
