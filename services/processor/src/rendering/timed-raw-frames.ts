/**
 * Raw I420 frames with a presentation time each, as a minimal Matroska stream for ffmpeg's stdin.
 *
 * ffmpeg's `rawvideo` input numbers frames at a constant rate, so a variable-frame-rate source
 * would be re-timed. Matroska carries a timestamp per block and ffmpeg reads raw video from it
 * (`V_UNCOMPRESSED` with an `I420` colour space, as ffmpeg itself writes it). Each frame is one
 * cluster holding one block with its duration (without one, the MP4's last frame would last 0 s and
 * players would drop it); times are in nanoseconds (TimestampScale 1), finer than any source time
 * base, so the encoder's time base (the source's) gets each source tick back.
 */

const ID = {
  ebml: [0x1a, 0x45, 0xdf, 0xa3],
  ebmlVersion: [0x42, 0x86],
  ebmlReadVersion: [0x42, 0xf7],
  ebmlMaxIdLength: [0x42, 0xf2],
  ebmlMaxSizeLength: [0x42, 0xf3],
  docType: [0x42, 0x82],
  docTypeVersion: [0x42, 0x87],
  docTypeReadVersion: [0x42, 0x85],
  segment: [0x18, 0x53, 0x80, 0x67],
  info: [0x15, 0x49, 0xa9, 0x66],
  timestampScale: [0x2a, 0xd7, 0xb1],
  muxingApp: [0x4d, 0x80],
  writingApp: [0x57, 0x41],
  tracks: [0x16, 0x54, 0xae, 0x6b],
  trackEntry: [0xae],
  trackNumber: [0xd7],
  trackUid: [0x73, 0xc5],
  trackType: [0x83],
  codecId: [0x86],
  video: [0xe0],
  pixelWidth: [0xb0],
  pixelHeight: [0xba],
  colourSpace: [0x2e, 0xb5, 0x24],
  cluster: [0x1f, 0x43, 0xb6, 0x75],
  timestamp: [0xe7],
  blockGroup: [0xa0],
  block: [0xa1],
  blockDuration: [0x9b],
} as const;

/** An element size as an 8-byte EBML variable-length integer (always 8 bytes: simple, and what the header allows). */
function size8(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  b[0] = 0x01;
  return b;
}
/** The size of a Segment written before its end is known. */
const UNKNOWN_SIZE = Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

function element(id: readonly number[], payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(id), size8(payload.length), payload]);
}
function uint(id: readonly number[], value: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(value));
  return element(id, b);
}
function text(id: readonly number[], value: string): Buffer {
  return element(id, Buffer.from(value, 'latin1'));
}

/** EBML header, Segment (unknown size), Info and the one video track: written once, before the first frame. */
export function timedFramesHeader(width: number, height: number): Buffer {
  const ebml = element(
    ID.ebml,
    Buffer.concat([uint(ID.ebmlVersion, 1), uint(ID.ebmlReadVersion, 1), uint(ID.ebmlMaxIdLength, 4), uint(ID.ebmlMaxSizeLength, 8), text(ID.docType, 'matroska'), uint(ID.docTypeVersion, 4), uint(ID.docTypeReadVersion, 2)]),
  );
  const info = element(ID.info, Buffer.concat([uint(ID.timestampScale, 1), text(ID.muxingApp, 'video-detect'), text(ID.writingApp, 'video-detect')]));
  const video = element(ID.video, Buffer.concat([uint(ID.pixelWidth, width), uint(ID.pixelHeight, height), text(ID.colourSpace, 'I420')]));
  const track = element(ID.trackEntry, Buffer.concat([uint(ID.trackNumber, 1), uint(ID.trackUid, 1), uint(ID.trackType, 1), text(ID.codecId, 'V_UNCOMPRESSED'), video]));
  return Buffer.concat([ebml, Buffer.from(ID.segment), UNKNOWN_SIZE, info, element(ID.tracks, track)]);
}

/** Track 1 as a 1-byte EBML number, relative timestamp 0, no lacing: the Block's header. */
const BLOCK_HEADER = Buffer.from([0x81, 0x00, 0x00, 0x00]);

const nanoseconds = (seconds: number) => BigInt(Math.max(0, Math.round(seconds * 1e9)));

/**
 * What goes before one frame's `frameBytes` of I420 data: a Cluster at `seconds` (≥ 0) holding one
 * BlockGroup (its duration, then the Block, which ends with the frame). The data itself is written
 * after it as it is (no copy of the frame).
 */
export function timedFrameHeader(seconds: number, durationSeconds: number, frameBytes: number): Buffer {
  const timestamp = uint(ID.timestamp, nanoseconds(seconds));
  const duration = uint(ID.blockDuration, nanoseconds(durationSeconds));
  const blockSize = BLOCK_HEADER.length + frameBytes;
  const blockStart = Buffer.concat([Buffer.from(ID.block), size8(blockSize), BLOCK_HEADER]);
  const groupSize = duration.length + blockStart.length + frameBytes;
  const groupStart = Buffer.concat([Buffer.from(ID.blockGroup), size8(groupSize), duration, blockStart]);
  return Buffer.concat([Buffer.from(ID.cluster), size8(timestamp.length + groupStart.length + frameBytes), timestamp, groupStart]);
}
