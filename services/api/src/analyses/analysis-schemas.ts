import { z } from '../http/zod.js';
import {
  analysisRequestSchema,
  analysisStatuses,
  ANCHORS,
  crossingSchema,
  lineResultSchema,
  pointSchema,
  trackerSettingsSchema,
  visitSchema,
  zoneResultSchema,
} from '@video-detect/shared';

export const analysisParamsSchema = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: '7d3f4c1e-0d6b-4f54-9a57-3f0d2a0e6a11' }),
  analysis_id: z.string().openapi({ param: { name: 'analysis_id', in: 'path' }, example: '0b8a2f5e-3c1d-4e7a-9b6f-2d4c8e1a5f30' }),
});

const example = {
  lines: [{ name: 'door', points: [[0.75, 0.05], [0.75, 0.95]] }],
  zones: [{ name: 'table', polygon: [[0.45, 0.55], [0.75, 0.55], [0.75, 0.95], [0.45, 0.95]] }],
};

/** The POST body; the shared schema with its example for the document. */
// A clone: shared schemas are built before `.openapi()` exists; the clone keeps their checks.
export const analysisBodySchema = analysisRequestSchema.clone().openapi('AnalysisRequest', { example });

const pixelPoint = z.tuple([z.number(), z.number()]).describe('[x, y] in displayed pixels.');
const crossing = z.object(crossingSchema.shape).openapi('Crossing');
const visit = z.object(visitSchema.shape).openapi('Visit');

const lineSchema = z
  .object({
    name: z.string(),
    points: z.tuple([pointSchema, pointSchema]),
    points_px: z.tuple([pixelPoint, pixelPoint]),
    counts: lineResultSchema.shape.counts.nullable().describe('Per label: crossings in and out. null until the analysis is completed.'),
    crossings: z.array(crossing).nullable().describe('In time order; null until the analysis is completed.'),
  })
  .openapi('AnalysisLine');

const zoneSchema = z
  .object({
    name: z.string(),
    polygon: z.array(pointSchema),
    polygon_px: z.array(pixelPoint),
    counts: zoneResultSchema.shape.counts.nullable().describe('Per label: entries and exits. null until the analysis is completed.'),
    visits: z.array(visit).nullable(),
    occupancy: zoneResultSchema.shape.occupancy.nullable(),
    max_occupancy: z.number().int().nullable(),
  })
  .openapi('AnalysisZone');

export const analysisResourceSchema = z
  .object({
    id: z.string().uuid(),
    video_id: z.string().uuid(),
    status: z.enum(analysisStatuses),
    created_at: z.string(),
    completed_at: z.string().nullable(),
    anchor: z.enum(ANCHORS),
    debounce: z.number().describe('Seconds.'),
    tolerance: z.number().describe('Fraction of the frame diagonal.'),
    tracker: trackerSettingsSchema,
    lines: z.array(lineSchema),
    zones: z.array(zoneSchema),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    links: z.object({ self: z.string(), video: z.string() }),
  })
  .openapi('Analysis');
export type AnalysisResource = z.input<typeof analysisResourceSchema>;

export const analysisListSchema = z.object({ items: z.array(analysisResourceSchema) }).openapi('AnalysisList');
