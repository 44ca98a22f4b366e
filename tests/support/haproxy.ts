import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HAPROXY = '/usr/sbin/haproxy';

/**
 * The balancer configuration the README shows ("Running several instances"): WebSockets pass through HTTP mode,
 * sync sockets stick to an instance by room (the URI path), and an instance that stops answering /readyz, or whose
 * port refuses, is skipped at once.
 */
export function haproxyConfig(port: number, servers: ReadonlyArray<{ name: string; port: number }>): string {
  return `global
  maxconn 4096

defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  # An upgraded WebSocket may stay quiet for long (y-websocket pings every 30 s)
  timeout tunnel 1h
  retries 3
  option redispatch

frontend lanes
  bind 127.0.0.1:${port}
  option forwardfor
  default_backend lanes

backend lanes
  # Every socket of one room lands on the same instance while it is up (fan-out stays local); any instance can serve
  # any room, so when one goes, its rooms move to the others.
  balance uri
  hash-type consistent
  option httpchk GET /readyz
  http-check expect status 200
  default-server check inter 500ms fall 1 rise 2
${servers.map((server) => `  server ${server.name} 127.0.0.1:${server.port}`).join('\n')}
`;
}

/** A real HAProxy (Debian's package) in the foreground, with a generated configuration. */
export class Haproxy {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
    readonly output: { text: string }
  ) {}

  static available(): boolean {
    return existsSync(HAPROXY);
  }

  static async start(port: number, servers: ReadonlyArray<{ name: string; port: number }>): Promise<Haproxy> {
    const dir = mkdtempSync(join(tmpdir(), 'lanes-haproxy-'));
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, haproxyConfig(port, servers));
    const child = spawn(HAPROXY, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = { text: '' };
    child.stdout!.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
    const proxy = new Haproxy(child, dir, port, output);
    const deadline = Date.now() + 10_000;
    while (!(await listening(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        proxy.stop();
        throw new Error(`haproxy did not start:\n${output.text}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
