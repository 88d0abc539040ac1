import { spawn, type ChildProcess } from 'node:child_process';
import { openAsBlob } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { serviceNodeArgs, type ServiceName } from '@video-detect/shared';


export interface VideoStatusBody {
  id: string;
  status: string;
  progress: { frames_total: number | null; frames_done: number; chunks_total: number | null };
  error: { code: string; message: string } | null;
  completed_at: string | null;
}

/**
 * The real services as separate processes (their builds), talking over real HTTP and Redis: what
 * an operator runs, minus Docker.
 */
export class ServiceStack {
  private readonly children: Array<{ name: ServiceName; child: ChildProcess }> = [];
  private token = '';
  /** The logged-in user's id. */
  userId = '';

  constructor(
    private readonly repoRoot: string,
    readonly env: Record<string, string>,
    readonly port: number,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The bench user's bearer header (after `login`). */
  get authorization(): string {
    return `Bearer ${this.token}`;
  }

  start(name: ServiceName, extraEnv: Record<string, string> = {}): ChildProcess {
    const child = spawn(process.execPath, serviceNodeArgs(name, this.repoRoot), {
      // Several workers on one host: each takes any free metrics port.
      env: { ...process.env, ...this.env, PORT: String(this.port), LOG_LEVEL: 'warn', WORKER_METRICS_PORT: '0', ...extraEnv },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    this.children.push({ name, child });
    return child;
  }

  async stop(name?: ServiceName): Promise<void> {
    const targets = this.children.filter((c) => !name || c.name === name);
    await Promise.all(
      targets.map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    for (const t of targets) this.children.splice(this.children.indexOf(t), 1);
  }

  pidOf(name: ServiceName): number {
    const found = this.pidsOf(name)[0];
    if (!found) throw new Error(`${name} is not running`);
    return found;
  }

  /** Every running process of a service (several detectors). */
  pidsOf(name: ServiceName): number[] {
    return this.children.flatMap((c) => (c.name === name && c.child.pid ? [c.child.pid] : []));
  }


  private async call<T>(method: string, url: string, body?: unknown, expect = 200, token = this.token): Promise<T> {
    const res = await fetch(`${this.baseUrl}${url}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (res.status !== expect) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
    return (res.status === 204 ? undefined : await res.json()) as T;
  }

  async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        if ((await fetch(`${this.baseUrl}/readyz`)).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('the API did not become ready');
      await sleep(100);
    }
  }

  /** Registers and logs in `username`; later calls act as that user unless given another's token. Returns the token. */
  async login(username = `bench-${process.pid}`): Promise<string> {
    const credentials = { username, password: 'benchmark-password' };
    this.userId = (await this.call<{ id: string }>('POST', '/api/v1/auth/register', credentials, 201)).id;
    this.token = (await this.call<{ access_token: string }>('POST', '/api/v1/auth/token', credentials)).access_token;
    return this.token;
  }

  /** Streams the file as multipart (never read whole into this process). */
  async upload(file: string, fields: Record<string, string> = {}, token = this.token): Promise<string> {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('video', await openAsBlob(file), path.basename(file));
    const res = await fetch(`${this.baseUrl}/api/v1/videos`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    if (res.status !== 202) throw new Error(`upload: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  }

  get(id: string, token = this.token): Promise<VideoStatusBody> {
    return this.call<VideoStatusBody>('GET', `/api/v1/videos/${id}`, undefined, 200, token);
  }

  async waitForEnd(id: string, pollMs = 100, token = this.token): Promise<VideoStatusBody> {
    for (;;) {
      const video = await this.get(id, token);
      if (video.status !== 'queued' && video.status !== 'processing') return video;
      await sleep(pollMs);
    }
  }

  delete(id: string, token = this.token): Promise<void> {
    return this.call('DELETE', `/api/v1/videos/${id}`, undefined, 204, token);
  }
}
