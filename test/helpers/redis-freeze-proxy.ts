import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of the real Redis for one service process, which freezes that process at a
 * chosen point of its code: the first command it sends holding `marker` (as raw bytes: a key, an
 * argument, a JSON field) goes through to Redis, and from then on nothing it sends on any of its
 * connections reaches Redis. The process is left waiting on its next command, so a test can inspect
 * the state it left and kill it there, however fast the code around that point runs.
 */
export class RedisFreezeProxy {
  private readonly sockets = new Set<Socket>();
  private isFrozen = false;
  private resolveFrozen!: () => void;
  /** Resolves once the marker has gone through and the traffic is held. */
  readonly frozen = new Promise<void>((resolve) => (this.resolveFrozen = resolve));

  private readonly server: Server;

  private constructor(
    private readonly target: URL,
    marker: string,
  ) {
    this.server = createServer((client) => this.forward(client, marker));
  }

  /** `targetUrl`: the Redis to forward to; `marker`: what, sent by the process, freezes it. */
  static async start(targetUrl: string, marker: string): Promise<RedisFreezeProxy> {
    const proxy = new RedisFreezeProxy(new URL(targetUrl), marker);
    await new Promise<void>((resolve, reject) => proxy.server.once('error', reject).listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** The Redis URL the process is given: the target's, with the proxy's address. */
  get url(): string {
    const url = new URL(this.target);
    url.hostname = '127.0.0.1';
    url.port = String((this.server.address() as { port: number }).port);
    return url.toString();
  }

  private forward(client: Socket, marker: string): void {
    const upstream = connect(Number(this.target.port || 6379), this.target.hostname);
    this.sockets.add(client).add(upstream);
    // The marker may straddle two reads: keep the end of the last one.
    let tail = '';
    client.on('data', (data) => {
      if (this.isFrozen) return; // held for good: the process is killed in this state
      const seen = tail + data.toString('latin1');
      upstream.write(data);
      tail = seen.slice(-marker.length);
      if (seen.includes(marker)) this.freeze();
    });
    upstream.on('data', (data) => client.write(data));
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  }

  private freeze(): void {
    this.isFrozen = true;
    this.resolveFrozen();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
