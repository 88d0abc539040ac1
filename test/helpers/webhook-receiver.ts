import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How the receiver answers the n-th request (0-based) to a path: a status, after a delay. */
export type Answer = (n: number) => { status: number; delayMs?: number };

/** A real HTTP server on 127.0.0.1 that records every request and answers as each path is told. */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly answers = new Map<string, Answer>();
  private server: Server | null = null;
  port = 0;

  static async start(port = 0): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await receiver.listen(port);
    return receiver;
  }

  /** `path` answers as `answer` says (default: 200 at once). */
  answer(path: string, answer: Answer): void {
    this.answers.set(path, answer);
  }

  url(path: string, host = '127.0.0.1'): string {
    return `http://${host}:${this.port}${path}`;
  }

  requestsTo(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  async waitFor(what: string, done: () => boolean, timeoutMs = 15_000): Promise<void> {
    for (const deadline = Date.now() + timeoutMs; !done(); await sleep(25)) {
      if (Date.now() > deadline) throw new Error(`receiver: still waiting for ${what} after ${timeoutMs} ms; got ${this.requests.map((r) => r.path).join(', ') || 'nothing'}`);
    }
  }

  /** Starts (again) on `port` (0: any free one). */
  async listen(port = this.port): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        const n = this.requestsTo(path).length;
        this.requests.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const { status, delayMs = 0 } = this.answers.get(path)?.(n) ?? { status: 200 };
        setTimeout(() => res.writeHead(status, { 'content-type': 'text/plain' }).end('ok'), delayMs).unref();
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Stops listening (the port stays known, so `listen()` comes back on it). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
