import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  AbortMultipartUploadCommand,
} from '@aws-sdk/client-s3';
import { freePort } from './private-redis.js';

/** An HTTP/1.1 request line as clients send it: `METHOD /path?query`. */
const requestLine = /(?:^|\r\n)((?:GET|HEAD|PUT|POST|DELETE) [^ \r\n]+) HTTP\/1\.1\r\n/g;

/**
 * A TCP proxy in front of the S3 server: counts the bytes the store sends back, records the
 * requests sent through it, can play an unreachable store (`down()`: every connection is reset at
 * once, open ones too) until `up()`, and can freeze its client at a chosen request (`holdFrom`).
 */
export class StoreProxy {
  bytesServed = 0;
  connections = 0;
  /** Connections reset while down: proof that a client tried the store during the outage. */
  refused = 0;
  /** Request lines (`PUT /bucket/key?partNumber=1&uploadId=…`) in the order they were sent. */
  readonly requests: string[] = [];
  private isDown = false;
  private hold: { marker: string; resolve: () => void } | null = null;
  private isHeld = false;
  private readonly sockets = new Set<net.Socket>();
  private server!: net.Server;
  port = 0;

  constructor(private readonly upstreamPort: number) {}

  async start(): Promise<void> {
    this.server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  private accept(client: net.Socket): void {
    if (this.isDown) {
      this.refused++;
      client.resetAndDestroy();
      return;
    }
    this.connections++;
    const upstream = net.connect(this.upstreamPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    }
    upstream.on('data', (d: Buffer) => (this.bytesServed += d.length));
    // A request line may straddle two reads: keep the end of the last one.
    let tail = '';
    client.on('data', (d: Buffer) => {
      if (this.isHeld) return;
      const seen = tail + d.toString('latin1');
      for (const m of seen.matchAll(requestLine)) if (m.index + m[0].length > tail.length) this.requests.push(m[1]!);
      tail = seen.slice(-2048);
      if (this.hold && seen.includes(this.hold.marker)) {
        // Held before it reaches the store: the client waits on this request for good.
        this.isHeld = true;
        this.hold.resolve();
        return;
      }
      upstream.write(d);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  /**
   * From the first request holding `marker` on (that one included), nothing the client sends
   * reaches the store: the process waits there, however fast the code around it runs, and a test
   * can kill it in that state. Resolves once held.
   */
  holdFrom(marker: string): Promise<void> {
    return new Promise((resolve) => (this.hold = { marker, resolve }));
  }

  down(): void {
    this.isDown = true;
    for (const s of this.sockets) s.resetAndDestroy();
  }

  up(): void {
    this.isDown = false;
  }

  async close(): Promise<void> {
    this.down();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface TestS3 {
  bucket: string;
  /** The store as the services see it: through the proxy. */
  proxy: StoreProxy;
  endpoint: string;
  /** STORAGE=s3 variables for the services. */
  vars: Record<string, string>;
  /** Another proxy to the same server (closed with it), for one process of several, and its S3_ENDPOINT. */
  newProxy(): Promise<{ proxy: StoreProxy; endpoint: string }>;
  /** A client that talks to the server directly (never through the proxy). */
  client: S3Client;
  keys(): Promise<string[]>;
  /** Multipart uploads started and neither completed nor aborted. */
  pendingUploads(): Promise<number>;
  /** Empties and deletes the bucket, stops the proxy and the server. */
  close(): Promise<void>;
}

async function waitForPort(port: number, child: ChildProcess, output: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the S3 server exited (${child.exitCode}): ${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`the S3 server did not listen within ${timeoutMs} ms: ${output()}`);
    await sleep(100);
  }
}

/**
 * moto's S3 server (Python; the most faithful S3 this machine runs without Docker: multipart
 * uploads with their listing and abort, range GETs, bucket-name rules, ETags like AWS's),
 * started for one test file on a free port, behind a StoreProxy, with a fresh bucket.
 * MOTO_PYTHON picks the interpreter that has moto (default `python3`).
 */
export async function startTestS3(): Promise<TestS3> {
  const port = await freePort();
  const child = spawn(process.env.MOTO_PYTHON ?? 'python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (d: Buffer) => (log = (log + d.toString()).slice(-2000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const spawnError = new Promise<never>((_, reject) => child.once('error', (err) => reject(new Error(`cannot start moto's S3 server (python3 -m moto.server): ${err.message}`))));
  await Promise.race([waitForPort(port, child, () => log), spawnError]);
  const proxy = new StoreProxy(port);
  await proxy.start();

  const credentials = { accessKeyId: 'test-key', secretAccessKey: 'test-secret' };
  // Checksums checked only when asked for: moto gives a copy of a multipart object (a promoted
  // upload) the source's composite checksum as a whole-object one, which the SDK would refuse.
  const client = new S3Client({ region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, credentials, responseChecksumValidation: 'WHEN_REQUIRED' });
  const bucket = `vd-test-${randomUUID().slice(0, 8)}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const endpoint = `http://127.0.0.1:${proxy.port}`;
  const keys = async () => ((await client.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key ?? '');
  const extraProxies: StoreProxy[] = [];
  const uploads = async () => (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
  return {
    bucket,
    proxy,
    endpoint,
    client,
    vars: {
      STORAGE: 's3',
      S3_BUCKET: bucket,
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      S3_PART_SIZE_MB: '5',
    },
    async newProxy() {
      const extra = new StoreProxy(port);
      await extra.start();
      extraProxies.push(extra);
      return { proxy: extra, endpoint: `http://127.0.0.1:${extra.port}` };
    },
    keys,
    pendingUploads: async () => (await uploads()).length,
    async close() {
      for (const u of await uploads()) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }));
      for (const key of await keys()) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      await client.send(new DeleteBucketCommand({ Bucket: bucket }));
      client.destroy();
      await proxy.close();
      for (const extra of extraProxies) await extra.close();
      child.kill('SIGTERM');
    },
  };
}
