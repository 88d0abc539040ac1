import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedis } from '@video-detect/shared';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A redis-server of a test's own, on a free port, with AOF on, for tests
 * that kill Redis: the shared Redis on 6379 is never touched. `kill()` is SIGKILL; `start()` again
 * reloads the AOF from the same directory.
 */
export class PrivateRedis {
  private child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    readonly dir: string,
    /** `always` survives SIGKILL losing nothing; on a full disk it makes Redis exit, `everysec` makes it refuse writes until there is room. */
    readonly fsync: 'always' | 'everysec',
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(dir = mkdtempSync(path.join(tmpdir(), 'vd-redis-')), fsync: 'always' | 'everysec' = 'always'): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), dir, fsync);
    await redis.start();
    return redis;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'yes', '--appendfsync', this.fsync, '--maxmemory-policy', 'noeviction'];
    this.child = spawn('redis-server', args, { stdio: 'ignore' });
    const probe = createRedis(this.url, 'request', { lazyConnect: true, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      for (const deadline = Date.now() + 10_000; ; await sleep(50)) {
        if (await probe.connect().then(() => probe.ping(), () => null)) return;
        probe.disconnect();
        if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not answer`);
      }
    } finally {
      probe.disconnect();
    }
  }

  /** SIGKILL: no shutdown, no final save; what survives is what the AOF holds. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
