import type { PixelFormat } from '../preprocess/letterbox.js';

export interface DecodedImage {
  /** width*height*3 bytes, HWC, in the asked channel order; its own ArrayBuffer. */
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Decodes a still image the way the models' reference tools read them (cv2.imread): libjpeg-turbo
 * with its default integer IDCT (sharp's libvips uses it; ffmpeg's JPEG decoder differs in the
 * last bits, enough to move COCO AP by about 0.01), EXIF orientation applied, ICC profile ignored,
 * grey expanded to three channels.
 */
export async function decodeImage(file: string, pixelFormat: PixelFormat): Promise<DecodedImage> {
  // Loaded on first use: only still images need libvips; a detector working on videos never loads it.
  const { default: sharp } = await import('sharp');
  const { data, info } = await sharp(file, { ignoreIcc: true, autoOrient: true })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`${file}: decoded to ${info.channels} channels, expected 3`);
  const out = new Uint8Array(info.width * info.height * 3);
  if (pixelFormat === 'rgb24') out.set(data);
  else {
    for (let i = 0; i < out.length; i += 3) {
      out[i] = data[i + 2]!;
      out[i + 1] = data[i + 1]!;
      out[i + 2] = data[i]!;
    }
  }
  return { data: out, width: info.width, height: info.height };
}
