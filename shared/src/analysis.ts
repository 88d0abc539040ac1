import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_TRACKER_SETTINGS, trackerSettingsInputSchema, trackerSettingsSchema, type TrackerSettings } from './tracking.js';

/** Limits of one analysis (docs/tracking.md); a request over them is refused with 400 naming the field. */
export const ANALYSIS_LIMITS = { lines: 16, zones: 16, polygonPoints: 64, nameLength: 64 } as const;

const fraction = z.number().min(0).max(1);
/** A point in fractions of the displayed frame: [x, y], 0..1, x right, y down. */
export const pointSchema = z.tuple([fraction, fraction]).describe('[x, y] in fractions of the displayed frame (0..1, x right, y down).');
export type Point = z.infer<typeof pointSchema>;

const name = z.string().trim().min(1).max(ANALYSIS_LIMITS.nameLength);

export const lineSpecSchema = z
  .object({
    name,
    points: z.tuple([pointSchema, pointSchema]).describe('The line from its first point to its second: `in` is a move from its right side to its left side, looking from the first point toward the second.'),
  })
  .refine(({ points: [a, b] }) => a[0] !== b[0] || a[1] !== b[1], { message: 'the two points must differ', path: ['points'] });
export type LineSpec = z.infer<typeof lineSpecSchema>;

export const zoneSpecSchema = z
  .object({
    name,
    polygon: z
      .array(pointSchema)
      .min(3, 'a zone needs at least 3 points')
      .max(ANALYSIS_LIMITS.polygonPoints, `a zone has at most ${ANALYSIS_LIMITS.polygonPoints} points`)
      .describe('The zone, corners in order (either winding).'),
  })
  .refine(({ polygon }) => polygonArea(polygon) > 1e-9, { message: 'the polygon has no area (its points are on one line)', path: ['polygon'] });
export type ZoneSpec = z.infer<typeof zoneSpecSchema>;

/** Which point of a box stands for the object when it crosses a line or stands in a zone. */
export const ANCHORS = ['bottom_center', 'center', 'top_center'] as const;
export type Anchor = (typeof ANCHORS)[number];

const uniqueNames = (items: ReadonlyArray<{ name: string }>, ctx: z.RefinementCtx, field: 'lines' | 'zones') => {
  const seen = new Set<string>();
  for (const [i, { name: n }] of items.entries()) {
    if (seen.has(n)) ctx.addIssue({ code: 'custom', path: [field, i, 'name'], message: `"${n}" is used twice` });
    seen.add(n);
  }
};

/** Counting settings: anchor, debounce and tolerance (docs/tracking.md, "Lines and zones"). */
const countingShape = {
  anchor: z.enum(ANCHORS).describe('The point of each box that crosses lines and stands in zones. Default: bottom_center (where a person or a car touches the ground).'),
  debounce: z.number().min(0).max(10).describe('Seconds an anchor must stay on the new side of a line (or in/out of a zone) before the move counts, so a box flickering on the line is not counted twice. Default 0.3.'),
  tolerance: z.number().min(0).max(0.2).describe("Half-width of the band around a line or a zone's edge, as a fraction of the frame diagonal, in which an anchor counts as on neither side. Default 0.01."),
};

/** What a client asks for: lines and zones (at least one), optional counting and tracker settings. */
export const analysisRequestSchema = z
  .object({
    lines: z.array(lineSpecSchema).max(ANALYSIS_LIMITS.lines).default([]),
    zones: z.array(zoneSpecSchema).max(ANALYSIS_LIMITS.zones).default([]),
    anchor: countingShape.anchor.optional(),
    debounce: countingShape.debounce.optional(),
    tolerance: countingShape.tolerance.optional(),
    tracker: trackerSettingsInputSchema.optional().describe("Tracker settings for this analysis; what is left out is the video's."),
  })
  .superRefine((a, ctx) => {
    if (a.lines.length === 0 && a.zones.length === 0) ctx.addIssue({ code: 'custom', path: ['lines'], message: 'give at least one line or zone' });
    uniqueNames(a.lines, ctx, 'lines');
    uniqueNames(a.zones, ctx, 'zones');
  });
export type AnalysisRequest = z.infer<typeof analysisRequestSchema>;

/**
 * The settings an analysis runs with: what the request gives, the rest from the defaults and (the
 * tracker) from the video's own settings. An error names the field (`tracker.low_score`).
 */
export function resolveAnalysisSettings(request: AnalysisRequest, videoTracker: TrackerSettings | null) {
  return analysisSettingsSchema.safeParse({
    lines: request.lines,
    zones: request.zones,
    anchor: request.anchor ?? DEFAULT_COUNTING.anchor,
    debounce: request.debounce ?? DEFAULT_COUNTING.debounce,
    tolerance: request.tolerance ?? DEFAULT_COUNTING.tolerance,
    tracker: { ...(videoTracker ?? DEFAULT_TRACKER_SETTINGS), ...request.tracker },
  });
}

export const DEFAULT_COUNTING = { anchor: 'bottom_center', debounce: 0.3, tolerance: 0.01 } as const satisfies Partial<Record<keyof typeof countingShape, unknown>>;

/** An analysis's settings with nothing left to defaults: what the job runs and the record keeps. */
export const analysisSettingsSchema = z.object({
  lines: z.array(lineSpecSchema),
  zones: z.array(zoneSpecSchema),
  ...countingShape,
  tracker: trackerSettingsSchema,
});
export type AnalysisSettings = z.infer<typeof analysisSettingsSchema>;

export const crossingSchema = z.object({
  track_id: z.number().int().min(1),
  label: z.string().describe("The track's label."),
  direction: z.enum(['in', 'out']),
  index: z.number().int().min(0).describe('First frame on the new side.'),
  timestamp: z.number().min(0),
});
export type Crossing = z.infer<typeof crossingSchema>;

export const visitSchema = z.object({
  track_id: z.number().int().min(1),
  label: z.string(),
  enter: z.number().min(0).describe('Time of the first frame inside, seconds.'),
  exit: z.number().min(0).describe('Time of the first frame outside again; when the track ended inside, its last frame inside.'),
  dwell: z.number().min(0).describe('exit - enter, seconds.'),
  exited: z.boolean().describe('Seen leaving the zone (false: the track ended inside: it left the view there, was lost, or the video ended).'),
});
export type Visit = z.infer<typeof visitSchema>;

const labelCounts = <S extends z.ZodType>(counts: S) => z.record(z.string(), counts);

export const lineResultSchema = z.object({
  name: z.string(),
  counts: labelCounts(z.object({ in: z.number().int(), out: z.number().int() })),
  crossings: z.array(crossingSchema),
});
export type LineResult = z.infer<typeof lineResultSchema>;

export const zoneResultSchema = z.object({
  name: z.string(),
  counts: labelCounts(z.object({ entries: z.number().int(), exits: z.number().int() })),
  visits: z.array(visitSchema),
  occupancy: z.array(z.object({ timestamp: z.number().min(0), objects: z.number().int().min(0) })).describe('Objects inside, from each time on where it changes.'),
  max_occupancy: z.number().int().min(0),
});
export type ZoneResult = z.infer<typeof zoneResultSchema>;

export const analysisResultsSchema = z.object({ lines: z.array(lineResultSchema), zones: z.array(zoneResultSchema) });
export type AnalysisResults = z.infer<typeof analysisResultsSchema>;

export const AnalysisStatus = { Queued: 'queued', Processing: 'processing', Completed: 'completed', Failed: 'failed' } as const;
export type AnalysisStatus = (typeof AnalysisStatus)[keyof typeof AnalysisStatus];
export const analysisStatuses = Object.values(AnalysisStatus) as [AnalysisStatus, ...AnalysisStatus[]];

/** An analysis as stored (one field of the video's analyses hash). */
export const analysisRecordSchema = z.object({
  id: z.string().uuid(),
  video_id: z.string().uuid(),
  status: z.enum(analysisStatuses),
  created_at: z.string(),
  completed_at: z.string().nullable(),
  settings: analysisSettingsSchema,
  results: analysisResultsSchema.nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type AnalysisRecord = z.infer<typeof analysisRecordSchema>;

/** A new analysis, queued. */
export function newAnalysisRecord(videoId: string, settings: AnalysisSettings): AnalysisRecord {
  return { id: randomUUID(), video_id: videoId, status: AnalysisStatus.Queued, created_at: new Date().toISOString(), completed_at: null, settings, results: null, error: null };
}

/** Shoelace formula: the polygon's area (any winding), in the units of its points squared. */
export function polygonArea(polygon: readonly Point[]): number {
  let twice = 0;
  for (let i = 0; i < polygon.length; i++) {
    const [x1, y1] = polygon[i]!;
    const [x2, y2] = polygon[(i + 1) % polygon.length]!;
    twice += x1 * y2 - x2 * y1;
  }
  return Math.abs(twice) / 2;
}
