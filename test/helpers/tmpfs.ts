import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A small tmpfs for disk-full tests. Mounting needs root: CI runs as root; anywhere else the test
 * fails here, loudly, and is never skipped.
 */
export function mountTmpfs(size: string, name: string): { dir: string; unmount(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `vd-${name}-`));
  assert.equal(process.getuid?.(), 0, 'this test mounts a tmpfs: run it as root (CI does)');
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  assert.equal(mounted.status, 0, `mount tmpfs: ${mounted.stderr}`);
  return {
    dir,
    unmount() {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
