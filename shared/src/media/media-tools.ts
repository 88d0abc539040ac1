import { spawnSync } from 'node:child_process';
import { ConfigError } from '../config.js';

export type MediaTool = 'ffmpeg' | 'ffprobe';

/**
 * Throws a ConfigError naming each of `tools` that cannot be run (`<path> -version`). Services check
 * before they start: a host without ffmpeg then stops at once with the fix, instead of starting and
 * failing every upload or video.
 */
export function assertMediaTools(tools: Partial<Record<MediaTool, string>>): void {
  const problems = Object.entries(tools)
    .filter(([, bin]) => spawnSync(bin, ['-version'], { stdio: 'ignore', timeout: 10_000 }).status !== 0)
    .map(([tool, bin]) => `${tool} cannot be run at "${bin}" (${tool === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH'}): install ffmpeg (Debian: apt-get install ffmpeg) or point ${tool === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH'} at it`);
  if (problems.length > 0) throw new ConfigError(problems);
}
