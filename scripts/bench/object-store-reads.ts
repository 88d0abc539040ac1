import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { listFrameTimestamps, loadConfig, probeVideo, S3UploadStorage, type MediaInput } from '@video-detect/shared';
import { buildFfmpegArgs, type FrameDecodeRequest } from '@video-detect/detector';
import { planChunks, sampleFrames } from '../../services/processor/src/index.js';
import { startTestS3, type TestS3 } from '../../test/helpers/s3-server.js';
import { figure, note, type Figure } from './figures.js';

export interface ObjectStoreReads {
  file: string;
  fileBytes: number;
  chunks: number;
  /** Bytes ffmpeg read per detect chunk (its own count), as a share of the file. */
  chunkReadShare: Figure;
  /** The same over the chunk's even share of the file (1 = exactly its bytes). */
  chunkReadOverEven: Figure;
  /** Bytes the store sent per chunk: what ffmpeg read plus what was in flight when it closed an open-ended range. */
  chunkSentShare: Figure;
  /** Bytes the API's probe and the plan step (probe + packet listing) read, as shares of the file. */
  apiProbeShare: number;
  planShare: number;
}

/** A long synthetic H.264 MP4 (index at the front, as `-movflags +faststart` writes it), so each chunk is a small part of the file. */
export function makeLongVideo(file: string, seconds: number): void {
  const out = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-y', file]);
  if (out.status !== 0) throw new Error(`ffmpeg could not make ${file}: ${out.stderr.toString()}`);
}

/**
 * Runs the detector's own ffmpeg command line for a chunk (verbose, so ffmpeg states the bytes it
 * read from its input), reading and dropping its frames; returns those bytes.
 */
async function decodeChunk(req: FrameDecodeRequest): Promise<number> {
  const args = buildFfmpegArgs(req);
  args[args.indexOf('-loglevel') + 1] = 'verbose';
  const child = spawn(req.ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  child.stdout.resume();
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  // Two AVIOContexts report: the output ("bytes written") and the input ("bytes read").
  const read = /Statistics: (\d+) bytes read/.exec(log);
  if (code !== 0 || !read) throw new Error(`ffmpeg failed (${code}): ${log.slice(-500)}`);
  return Number(read[1]);
}

/**
 * What STORAGE=s3 reads: every byte the store sends back is counted by the proxy in front of it,
 * while the real code reads through presigned URLs: the API's probe, the plan step (probe and
 * packet timestamps), then each detect chunk's ffmpeg, one at a time, as the processor cuts them.
 */
export async function measureObjectStoreReads(files: string[], chunkFrames: number): Promise<ObjectStoreReads[]> {
  const s3: TestS3 = await startTestS3();
  try {
    const config = loadConfig({ ...s3.vars });
    const storage = new S3UploadStorage(config.storage.s3!, config.storage.dir);
    const results: ObjectStoreReads[] = [];
    for (const file of files) {
      const name = `bench-${path.basename(file).replace(/[^A-Za-z0-9.]/g, '')}`;
      await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: name, Body: readFileSync(file) }));
      const fileBytes = statSync(file).size;
      const counted = async (run: (source: MediaInput) => Promise<unknown>): Promise<number> => {
        const source = await storage.source(name);
        const before = s3.proxy.bytesServed;
        await run(source);
        return s3.proxy.bytesServed - before;
      };
      const apiProbe = await counted((source) => probeVideo(source));
      let pts: number[] = [];
      let probed!: Awaited<ReturnType<typeof probeVideo>>;
      const plan = await counted(async (source) => {
        probed = await probeVideo(source);
        pts = await listFrameTimestamps(source, probed.streamIndex);
      });
      const chunks = planChunks({ pts, analysed: sampleFrames(pts, null), chunkFrames, startTime: probed.startTime });
      const read: number[] = [];
      const sent: number[] = [];
      for (const chunk of chunks) {
        sent.push(
          await counted(async (file) => {
            read.push(await decodeChunk({ ffmpegPath: 'ffmpeg', file, streamIndex: probed.streamIndex, width: probed.width, height: probed.height, pixelFormat: 'bgr24', range: chunk }));
          }),
        );
      }
      const even = fileBytes / chunks.length;
      const kB = (list: number[]) => list.map((b) => (b / 1e3).toFixed(0)).join(' ');
      note(`${path.basename(file)}: ${chunks.length} chunks, ${(fileBytes / 1e6).toFixed(1)} MB; per chunk ffmpeg read ${kB(read)} kB; the store sent ${kB(sent)} kB`);
      results.push({
        file: path.basename(file),
        fileBytes,
        chunks: chunks.length,
        chunkReadShare: figure(read.map((b) => b / fileBytes), 4),
        chunkReadOverEven: figure(read.map((b) => b / even), 2),
        chunkSentShare: figure(sent.map((b) => b / fileBytes), 4),
        apiProbeShare: +(apiProbe / fileBytes).toFixed(4),
        planShare: +(plan / fileBytes).toFixed(3),
      });
    }
    return results;
  } finally {
    await s3.close();
  }
}
