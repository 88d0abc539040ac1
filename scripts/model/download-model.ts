import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Downloads a model to `dest`, keeping it only when its sha256 is `sha256`: the file appears
 * whole and checked, or not at all (a `.download` file is written first and removed on failure).
 */
export async function downloadModel(url: string, sha256: string, dest: string, timeoutMs = 300_000): Promise<void> {
  if (!/^[0-9a-f]{64}$/i.test(sha256)) throw new Error(`"${sha256}" is not a sha256 (64 hex digits)`);
  mkdirSync(path.dirname(dest), { recursive: true });
  const partial = `${dest}.download`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    const hash = createHash('sha256');
    const body = Readable.fromWeb(res.body);
    body.on('data', (chunk: Buffer) => hash.update(chunk));
    await pipeline(body, createWriteStream(partial));
    const digest = hash.digest('hex');
    if (digest !== sha256.toLowerCase()) throw new Error(`sha256 ${digest} is not the expected ${sha256}; refusing the file`);
    renameSync(partial, dest);
  } catch (err) {
    rmSync(partial, { force: true });
    throw new Error(`could not fetch ${url} (${(err as Error).message})`);
  }
}
