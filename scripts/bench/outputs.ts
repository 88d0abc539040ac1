import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  AnalysisStatus,
  classColor,
  createLogger,
  DEFAULT_COUNTING,
  DEFAULT_TRACKER_SETTINGS,
  drawingScale,
  listFrameTimestamps,
  loadConfig,
  mediaInput,
  newAnalysisRecord,
  probeAudioCodec,
  probeVideo,
  renderOptionsSchema,
  type FrameResult,
  type MediaInput,
} from '@video-detect/shared';
import { encoderArgs, renderVideo } from '../../services/processor/src/rendering/render-video.js';

/** Boxes per frame in the render benchmark: more than the bottle video's real detections, so drawing is not flattered. */
const OBJECTS = 6;

/** Deterministic moving boxes on every frame of a `width` × `height` video, each its own track. */
export function movingBoxes(frames: number, fps: number, width: number, height: number): FrameResult[] {
  return Array.from({ length: frames }, (_, index) => ({
    index,
    timestamp: index / fps,
    objects: Array.from({ length: OBJECTS }, (_, k) => {
      const w = width / 6;
      const h = height / 3;
      const x = ((index * (2 + k)) % (width - w)) + 0.5;
      const y = (k * height) / (OBJECTS + 1);
      return { label: k % 2 ? 'person' : 'bottle', class_id: k % 2 ? 0 : 39, score: 0.5 + k / 20, box: [x, y, x + w, y + h] as [number, number, number, number], track_id: k + 1 };
    }),
  }));
}

interface Source {
  file: MediaInput;
  streamIndex: number;
  width: number;
  height: number;
  fps: number;
  frames: number;
  /** Source presentation times and time base, as the render job passes them. */
  frameTimes: number[];
  timeBase: string;
  startTime: number;
  audioCodec: string | null;
}

export async function probeSource(file: string): Promise<Source> {
  const probed = await probeVideo(file);
  const frameTimes = await listFrameTimestamps(file, probed.streamIndex);
  return { file: mediaInput(file), streamIndex: probed.streamIndex, width: probed.width, height: probed.height, fps: probed.fps ?? 25, frames: frameTimes.length, frameTimes, timeBase: probed.timeBase, startTime: probed.startTime, audioCodec: await probeAudioCodec(file) };
}

const seconds = (started: number) => (performance.now() - started) / 1000;

/**
 * CPU seconds used so far by this process and its finished children (utime, stime, cutime, cstime
 * of /proc/self/stat): on a shared, loaded machine the CPU a job takes is steadier than its wall time.
 */
export function cpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // Fields 14-17 of stat(5), counted from the state field (3) after the command name.
  return fields.slice(11, 15).reduce((sum, ticks) => sum + Number(ticks), 0) / 100;
}

/** Wall-clock frames/s and CPU milliseconds per frame of one run. */
export interface Speed {
  fps: number;
  cpuMsPerFrame: number;
}

async function measure(frames: number, run: () => unknown): Promise<Speed> {
  const [cpu, started] = [cpuSeconds(), performance.now()];
  await run();
  return { fps: frames / seconds(started), cpuMsPerFrame: ((cpuSeconds() - cpu) * 1000) / frames };
}

/** Our render of the video: every frame decoded, 6 boxes with labels, track ids, trails and a counting line drawn, x264-encoded. */
export async function renderSpeed(source: Source, output: string, encoder: { preset: string; crf: number }): Promise<Speed> {
  const boxes = movingBoxes(source.frames, source.fps, source.width, source.height);
  const settings = { lines: [{ name: 'middle', points: [[0.5, 0], [0.5, 1]] as [[number, number], [number, number]] }], zones: [], ...DEFAULT_COUNTING, tracker: DEFAULT_TRACKER_SETTINGS };
  const analysis = { ...newAnalysisRecord('00000000-0000-4000-8000-000000000000', settings), status: AnalysisStatus.Completed, results: { lines: [{ name: 'middle', counts: {}, crossings: [] }], zones: [] } };
  const options = renderOptionsSchema.parse({ trails: true });
  return measure(source.frames, async () => {
    const frames = await renderVideo(
      { ffmpegPath: 'ffmpeg', source: source.file, streamIndex: source.streamIndex, width: source.width, height: source.height, fps: source.fps, frameTimes: source.frameTimes, timeBase: source.timeBase, startTime: source.startTime, audioCodec: source.audioCodec, output, encoder, options, analysis, holdBoxes: false },
      (function* () {
        for (let i = 0; i < boxes.length; i += 128) yield boxes.slice(i, i + 128);
      })(),
      () => Promise.resolve(true),
      createLogger('bench-render', 'silent'),
    );
    if (frames !== source.frames) throw new Error(`rendered ${frames} of ${source.frames} frames`);
  });
}

/** The floor: ffmpeg alone re-encoding the same file with the same encoder settings (decode, x264, audio copied). */
export function reencodeSpeed(source: Source, output: string, encoder: { preset: string; crf: number }): Promise<Speed> {
  const args = encoderArgs({ ...source, source: source.file, output, encoder });
  // The same output options, with the file itself as the only input instead of raw frames on stdin.
  const outputOptions = args.slice(args.indexOf('-map'));
  const mapped = outputOptions.map((a) => (a === '0:v:0' ? `0:${source.streamIndex}` : a === '1:a:0' ? '0:a:0' : a));
  return measure(source.frames, () => execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', source.file.input, ...mapped]));
}

/**
 * The alternative drawing method: ffmpeg's own `drawbox` filters, one per box with `enable='eq(n,N)'`
 * (generated as a filter script, boxes only, no labels), over the first `frames` frames: every
 * filter looks at every frame, so its cost grows with boxes × frames.
 */
export function drawboxFilterSpeed(source: Source, frames: number, output: string, encoder: { preset: string; crf: number }, scratchDir: string): Promise<Speed> {
  const { thickness } = drawingScale(source.width, source.height);
  const filters = movingBoxes(frames, source.fps, source.width, source.height).flatMap((f) =>
    f.objects.map((o) => {
      const [r, g, b] = classColor(o.class_id);
      const [x1, y1, x2, y2] = o.box.map(Math.round) as [number, number, number, number];
      return `drawbox=x=${x1}:y=${y1}:w=${x2 - x1}:h=${y2 - y1}:color=0x${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}:t=${thickness}:enable='eq(n,${f.index})'`;
    }),
  );
  const script = path.join(scratchDir, 'drawbox.txt');
  writeFileSync(script, filters.join(',\n'));
  try {
    return measure(frames, () => execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', source.file.input, '-frames:v', String(frames), '-filter_script:v', script, '-c:v', 'libx264', '-preset', encoder.preset, '-crf', String(encoder.crf), '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-an', '-y', output], { maxBuffer: 1 << 26 }));
  } finally {
    rmSync(script, { force: true });
  }
}

/** The encoder settings renders use (RENDER_PRESET, RENDER_CRF). */
export const renderEncoder = () => loadConfig(process.env).renders;

/**
 * Downloads an export through the API and counts its bytes (never held whole); frames/s is the
 * video's analysed frames over the seconds from the request to the last byte.
 */
export async function exportSpeed(baseUrl: string, authorization: string, videoId: string, format: string, frames: number): Promise<{ speed: Speed; bytes: number }> {
  let bytes = 0;
  const speed = await measure(frames, async () => {
    const res = await fetch(`${baseUrl}/api/v1/videos/${videoId}/export?format=${format}`, { headers: { authorization } });
    if (res.status !== 200 || !res.body) throw new Error(`export ${format}: ${res.status} ${await res.text()}`);
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) bytes += chunk.length;
  });
  return { speed, bytes };
}
