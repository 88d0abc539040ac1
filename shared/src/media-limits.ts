import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Bounds on one ffmpeg or ffprobe process, so one file cannot take a node down. */
export interface MediaLimits {
  /** Most private writable memory (RLIMIT_DATA) of one process, MiB; 0 = none. @defaultValue 2048 */
  memoryMb: number;
  /** Most CPU seconds (RLIMIT_CPU) of one detector ffmpeg (all its threads); 0 = none. @defaultValue 600 */
  cpuSeconds: number;
  /** Most wall-clock seconds of one ffprobe run (probe, frame listing); 0 = none. @defaultValue 300 */
  probeTimeoutSeconds: number;
}

export const NO_MEDIA_LIMITS: MediaLimits = { memoryMb: 0, cpuSeconds: 0, probeTimeoutSeconds: 0 };

const executables = new Map<string, string | null>();

/** The executable `name` resolves to (a path, or a search of PATH), or null; remembered per name. */
function findExecutable(name: string): string | null {
  if (!executables.has(name)) {
    const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, name));
    executables.set(
      name,
      candidates.find((file) => {
        try {
          accessSync(file, constants.X_OK);
          return true;
        } catch {
          return false;
        }
      }) ?? null,
    );
  }
  return executables.get(name) ?? null;
}

/**
 * Spawns ffmpeg/ffprobe (an argument array: nothing reaches a shell) under `limits`: memory and CPU
 * through util-linux's `prlimit` (it sets the limits and execs the tool, so the child is the tool
 * itself), wall-clock through Node's `timeout` (SIGKILL). Without prlimit on PATH (not Linux) only
 * the wall-clock limit applies. A tool that cannot be found is spawned unwrapped, so the caller
 * still sees ENOENT and can say so.
 */
export function spawnLimited(
  tool: string,
  args: readonly string[],
  limits: MediaLimits,
  use: { cpu: boolean; wallClock: boolean },
  options: SpawnOptions,
): ChildProcess {
  const timeout = use.wallClock && limits.probeTimeoutSeconds > 0 ? { timeout: limits.probeTimeoutSeconds * 1000, killSignal: 'SIGKILL' as const } : {};
  const rlimits = [
    ...(limits.memoryMb > 0 ? [`--data=${limits.memoryMb * 1024 * 1024}`] : []),
    ...(use.cpu && limits.cpuSeconds > 0 ? [`--cpu=${limits.cpuSeconds}`] : []),
  ];
  const resolved = findExecutable(tool);
  const prlimit = rlimits.length > 0 && resolved ? findExecutable('prlimit') : null;
  if (prlimit && resolved) return spawn(prlimit, [...rlimits, '--', resolved, ...args], { ...options, ...timeout });
  return spawn(tool, args, { ...options, ...timeout });
}

/**
 * Why a limited tool was stopped, in words, when a limit may have stopped it; null otherwise. The
 * kernel kills at the CPU limit (soft = hard: SIGKILL), Node at the wall-clock one (SIGKILL); running
 * out of memory makes ffmpeg report "Cannot allocate memory" (or crash).
 */
export function limitStopReason(signal: NodeJS.Signals | null, limits: MediaLimits, tool: 'ffmpeg' | 'ffprobe'): string | null {
  const memory = limits.memoryMb > 0 ? ` or its FFMPEG_MAX_MEMORY_MB (${limits.memoryMb} MiB)` : '';
  if (signal === 'SIGKILL' || signal === 'SIGXCPU') {
    if (tool === 'ffprobe') return limits.probeTimeoutSeconds > 0 ? `it was stopped after FFPROBE_TIMEOUT_SECONDS (${limits.probeTimeoutSeconds} s) or killed` : 'it was killed';
    return limits.cpuSeconds > 0 ? `it was stopped at FFMPEG_MAX_CPU_SECONDS (${limits.cpuSeconds} s of CPU) or killed` : 'it was killed';
  }
  if (signal === 'SIGSEGV' || signal === 'SIGABRT' || signal === 'SIGBUS') return `it crashed (${signal}), e.g. out of memory${memory}`;
  return null;
}
