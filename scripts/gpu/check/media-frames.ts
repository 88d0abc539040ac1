import { probeVideo } from '@video-detect/shared';
import { familyInput, FrameDecoder, type ModelFamily } from '@video-detect/detector';

/** Tools the GPU check runs (carried to the GPU machine, or the system's here). */
export interface Tools {
  ffmpeg: string;
  ffprobe: string;
}

export interface DecodedVideo {
  width: number;
  height: number;
  frames: AsyncGenerator<{ ordinal: number; data: Uint8Array }>;
  stop(): void;
}

/** Every displayed frame of a video in the model's channel order, as the detector decodes them. */
export async function decodeVideo(file: string, family: ModelFamily, tools: Tools, wanted?: (ordinal: number) => boolean): Promise<DecodedVideo> {
  const probed = await probeVideo(file, tools.ffprobe);
  const decoder = new FrameDecoder({
    ffmpegPath: tools.ffmpeg,
    file,
    streamIndex: probed.streamIndex,
    width: probed.width,
    height: probed.height,
    pixelFormat: familyInput[family].pixelFormat,
    range: null,
  });
  return { width: probed.width, height: probed.height, frames: decoder.frames({ wanted }), stop: () => decoder.kill() };
}

/** `count` distinct frames spread over the first part of a video, decoded up front (benchmarks time inference, not decoding). */
export async function sampleFrames(file: string, family: ModelFamily, tools: Tools, count: number): Promise<{ width: number; height: number; frames: Uint8Array[] }> {
  const video = await decodeVideo(file, family, tools, (o) => o % 7 === 0);
  const frames: Uint8Array[] = [];
  for await (const f of video.frames) {
    frames.push(f.data);
    if (frames.length === count) break;
  }
  video.stop();
  if (frames.length === 0) throw new Error(`no frames decoded from ${file}`);
  return { width: video.width, height: video.height, frames };
}
