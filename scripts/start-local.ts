/**
 * `npm start`: the whole product on one machine, for trying it out. Uses the model the repository
 * ships (fetched, checked against its sha256, only when a checkout lacks it), uses the Redis at REDIS_URL or starts a private one when
 * none answers and redis-server is installed, then runs the API, the processor and a detector.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertMediaTools, ConfigError, createRedis, loadConfig, serviceNodeArgs } from '@video-detect/shared';
import { downloadModel } from './model/download-model.js';

/** The model the repository ships (models/README.md); fetched again only when a checkout lacks it. */
const MODEL_URL = 'https://github.com/Megvii-BaseDetection/YOLOX/releases/download/0.1.1rc0/yolox_nano.onnx';
const MODEL_SHA256 = 'c789161ed43c8269fcd4e67c67eeeb4e80c622da2eb296a20bc6007bd18a0b7d';
const DEFAULT_MODEL_PATH = 'models/yolox_nano.onnx';

const say = (msg: string) => console.log(`[start] ${msg}`);

async function ensureModel(modelPath: string): Promise<void> {
  if (existsSync(modelPath)) return;
  const help =
    `Set MODEL_PATH to a local YOLOX or Ultralytics YOLOv8/YOLO11 ONNX export, or fetch one with ` +
    `npm run fetch-model -- --url <url> --sha256 <hex> (docs/detector.md).`;
  if (path.resolve(modelPath) !== path.resolve(DEFAULT_MODEL_PATH)) throw new Error(`MODEL_PATH=${modelPath} does not exist. ${help}`);
  // The repository ships it: only a checkout without it (git-lfs-less mirrors, a deleted file) gets here.
  say(`model ${modelPath} is missing from this checkout: fetching the official YOLOX-Nano release (Apache-2.0)`);
  try {
    await downloadModel(MODEL_URL, MODEL_SHA256, modelPath, 120_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}. Restore it with git checkout -- ${DEFAULT_MODEL_PATH}, or: ${help}`);
  }
  say(`model saved to ${modelPath}`);
}

async function redisAnswers(url: string): Promise<boolean> {
  const redis = createRedis(url, 'request', { lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const services: ChildProcess[] = [];
let privateRedis: ChildProcess | null = null;
let stopping = false;

function run(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream) => {
    let rest = '';
    stream.on('data', (d: Buffer) => {
      const lines = (rest + d.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) out.write(`[${name}] ${line}\n`);
    });
  };
  prefix(child.stdout, process.stdout);
  prefix(child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`[start] ${name} exited (${signal ?? code}); stopping everything`);
    void stopAll(1);
  });
  return child;
}

async function stopAll(exitCode: number): Promise<never> {
  stopping = true;
  const exited = (c: ChildProcess) =>
    new Promise<void>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', () => resolve())));
  const stop = async (group: ChildProcess[]) => {
    for (const c of group) c.kill('SIGTERM');
    await Promise.race([Promise.all(group.map(exited)), new Promise((r) => setTimeout(r, 35_000))]);
  };
  // Services first (they finish or hand back their jobs), the private Redis last.
  await stop(services);
  if (privateRedis) await stop([privateRedis]);
  process.exit(exitCode);
}

async function waitForHttp(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function main(): Promise<void> {
  const config = loadConfig();
  assertMediaTools({ ffmpeg: config.media.ffmpegPath, ffprobe: config.media.ffprobePath });
  await ensureModel(config.model.path);
  const env: NodeJS.ProcessEnv = { ...process.env };

  if (await redisAnswers(config.redis.url)) {
    say(`using Redis at ${config.redis.url}`);
  } else if (spawnSync('redis-server', ['--version']).status === 0) {
    const port = await freePort();
    env.REDIS_URL = `redis://127.0.0.1:${port}`;
    say(`no Redis answers at ${config.redis.url}: starting a private one on port ${port} (data kept in memory only)`);
    privateRedis = run('redis', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], env);
    const deadline = Date.now() + 10_000;
    while (!(await redisAnswers(env.REDIS_URL)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  } else {
    throw new Error(`no Redis answers at ${config.redis.url} and redis-server is not installed: start Redis or set REDIS_URL`);
  }

  const node = process.execPath;
  services.push(run('api', node, serviceNodeArgs('api', repoRoot), env));
  // One host, one metrics port each: the processor on WORKER_METRICS_PORT, detector i on the ports after it.
  const metricsPort = config.metrics.workerPort;
  const portOf = (i: number) => (metricsPort === 0 ? '0' : String(metricsPort + i));
  services.push(run('processor', node, serviceNodeArgs('processor', repoRoot), { ...env, WORKER_METRICS_PORT: portOf(0) }));
  // One single-threaded detector per core: the fastest layout for small models (docs/scaling.md).
  const detectors = Number(process.env.LOCAL_DETECTORS ?? availableParallelism());
  for (let i = 1; i <= detectors; i++) {
    services.push(run(`detector-${i}`, node, serviceNodeArgs('detector', repoRoot), { ...env, WORKER_METRICS_PORT: portOf(i) }));
  }

  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));
  const base = config.api.publicBaseUrl ?? `http://localhost:${config.api.port}`;
  if (await waitForHttp(`http://127.0.0.1:${config.api.port}/readyz`, 30_000)) {
    say(`ready. Swagger UI: ${base}/docs  (register, get a token, click "Authorize", upload a video). Ctrl-C stops.`);
  }
}

main().catch((err: unknown) => {
  console.error(`[start] ${err instanceof ConfigError ? err.message : (err as Error).message}`);
  void stopAll(1);
});
