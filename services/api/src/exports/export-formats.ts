import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { COCO80_TO_CATEGORY_ID, COCO_LABELS } from '@video-detect/shared';
import type { PageFrame } from '../videos/detections-page.js';

export const exportFormats = ['jsonl', 'csv', 'mot', 'coco'] as const;
export type ExportFormat = (typeof exportFormats)[number];

/** What a file says about its video besides the frames. */
export interface ExportVideo {
  id: string;
  width: number;
  height: number;
  /** The frame snapshot URL of frame `index` (COCO's `coco_url`). */
  frameUrl: (index: number) => string;
}

/** A source of the export's frames, a batch at a time in ascending index; COCO reads it twice (images, then annotations). */
export type FrameSource = () => AsyncIterable<PageFrame[]>;

export const exportMedia: Record<ExportFormat, { contentType: string; suffix: string }> = {
  jsonl: { contentType: 'application/x-ndjson; charset=utf-8', suffix: 'detections.jsonl' },
  csv: { contentType: 'text/csv; charset=utf-8', suffix: 'detections.csv' },
  mot: { contentType: 'text/plain; charset=utf-8', suffix: 'mot.txt' },
  coco: { contentType: 'application/json; charset=utf-8', suffix: 'coco.json' },
};

export const CSV_COLUMNS = ['frame', 'timestamp', 'track_id', 'label', 'class_id', 'score', 'x1', 'y1', 'x2', 'y2'] as const;

/** Two decimals: box corners are sub-pixel floats, more digits only add bytes. */
const r2 = (v: number) => Math.round(v * 100) / 100;

/** The official COCO category id of a COCO-80 label; other models' classes get 1000 + class id (outside COCO's 1..90). */
export function cocoCategoryId(label: string, classId: number): number {
  const i = COCO_LABELS.indexOf(label);
  return i >= 0 ? COCO80_TO_CATEGORY_ID[i]! : 1000 + classId;
}

/** One frame per line, the /detections frame shape. */
export const jsonlLines = (frames: PageFrame[]) => frames.map((f) => `${JSON.stringify(f)}\n`).join('');

/** One row per object (a frame without objects has no row). */
export const csvRows = (frames: PageFrame[]) =>
  stringify(frames.flatMap((f) => f.objects.map((o) => [f.index, f.timestamp, o.track_id ?? '', o.label, o.class_id, o.score, ...o.box.map(r2)])));

/**
 * MOTChallenge text (`frame,id,bb_left,bb_top,bb_width,bb_height,conf,x,y,z`): frames 1-based,
 * world coordinates -1; a box never confirmed as a track has id -1 (as in MOT detection files).
 */
export const motLines = (frames: PageFrame[]) =>
  frames
    .flatMap((f) => f.objects.map((o) => {
      const [x1, y1, x2, y2] = o.box;
      return `${f.index + 1},${o.track_id ?? -1},${r2(x1)},${r2(y1)},${r2(x2 - x1)},${r2(y2 - y1)},${o.score},-1,-1,-1\n`;
    }))
    .join('');

/**
 * COCO-style JSON, written in one pass over the images and one over the annotations (so nothing
 * is held but one batch): `images` are the analysed frames (id = frame index + 1), `annotations`
 * their boxes as `[x, y, w, h]` with the official category ids and the track id in `attributes`,
 * `categories` the classes that occur (written last: JSON key order does not matter to readers).
 */
export async function* cocoDocument(video: ExportVideo, frames: FrameSource): AsyncGenerator<string> {
  const info = { description: `video-detect detections of video ${video.id}`, version: '1.0', date_created: new Date().toISOString() };
  yield `{"info":${JSON.stringify(info)},"licenses":[],"images":[`;
  let first = true;
  for await (const batch of frames()) {
    if (batch.length === 0) continue;
    const images = batch.map((f) =>
      JSON.stringify({ id: f.index + 1, file_name: `frame_${String(f.index).padStart(6, '0')}.jpg`, width: video.width, height: video.height, frame_index: f.index, timestamp: f.timestamp, coco_url: video.frameUrl(f.index) }),
    );
    yield `${first ? '' : ','}${images.join(',')}`;
    first = false;
  }
  yield '],"annotations":[';
  const categories = new Map<number, string>();
  let id = 0;
  for await (const batch of frames()) {
    const annotations = batch.flatMap((f) =>
      f.objects.map((o) => {
        const category = cocoCategoryId(o.label, o.class_id);
        categories.set(category, o.label);
        const [x1, y1, x2, y2] = o.box.map(r2) as [number, number, number, number];
        const [w, h] = [r2(x2 - x1), r2(y2 - y1)];
        return JSON.stringify({ id: ++id, image_id: f.index + 1, category_id: category, bbox: [x1, y1, w, h], area: r2(w * h), iscrowd: 0, score: o.score, attributes: { track_id: o.track_id } });
      }),
    );
    if (annotations.length > 0) yield `${id > annotations.length ? ',' : ''}${annotations.join(',')}`;
  }
  const list = [...categories].sort(([a], [b]) => a - b).map(([cid, name]) => ({ id: cid, name, supercategory: name }));
  yield `],"categories":${JSON.stringify(list)}}\n`;
}

/** The export as text pieces, a batch of frames at a time. */
export async function* exportChunks(format: ExportFormat, video: ExportVideo, frames: FrameSource): AsyncGenerator<string> {
  if (format === 'coco') {
    yield* cocoDocument(video, frames);
    return;
  }
  if (format === 'csv') yield stringify([[...CSV_COLUMNS]]);
  const write = format === 'jsonl' ? jsonlLines : format === 'csv' ? csvRows : motLines;
  for await (const batch of frames()) {
    const text = write(batch);
    if (text) yield text;
  }
}

/** `<original name without extension>-<suffix>`, safe in a header and a file system. */
export function exportFileName(original: string, format: ExportFormat): string {
  const base = path.parse(path.basename(original)).name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 100) || 'video';
  return `${base}-${exportMedia[format].suffix}`;
}
