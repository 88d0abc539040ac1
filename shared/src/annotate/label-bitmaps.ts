import type { AlphaBitmap } from './yuv-image.js';

/** XML text escaping: a label is data inside the SVG, never markup. */
const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** Width per character relative to the font size: DejaVu Sans averages about 0.6. */
const CHAR_WIDTH = 0.62;
/** Most distinct strings kept (track ids and counts make new ones; each is a few KB). */
const MAX_CACHED = 2000;

/**
 * Text as 8-bit coverage bitmaps, rendered by libvips/librsvg (through sharp) from an SVG `<text>`
 * in DejaVu Sans, once per string and size: a video repeats the same few labels on thousands of
 * frames, so rendering is paid once and each frame only blends the bitmap.
 */
export class LabelBitmaps {
  private readonly cache = new Map<string, Promise<AlphaBitmap>>();

  constructor(readonly fontPx: number) {}

  get(text: string): Promise<AlphaBitmap> {
    let bitmap = this.cache.get(text);
    if (!bitmap) {
      if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
      bitmap = renderText(text, this.fontPx);
      this.cache.set(text, bitmap);
    }
    return bitmap;
  }
}

async function renderText(text: string, fontPx: number): Promise<AlphaBitmap> {
  const width = Math.max(1, Math.ceil(text.length * fontPx * CHAR_WIDTH) + 2);
  const height = Math.ceil(fontPx * 1.3);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><text x="1" y="${Math.round(fontPx)}" font-family="DejaVu Sans, sans-serif" font-size="${fontPx}" fill="#fff">${escapeXml(text)}</text></svg>`;
  // Loaded on first use: only renders and snapshots draw labels; detectors never load libvips.
  const { default: sharp } = await import('sharp');
  const { data, info } = await sharp(Buffer.from(svg)).extractChannel('alpha').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, alpha: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}
