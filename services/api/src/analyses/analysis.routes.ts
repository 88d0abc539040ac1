import type { AppContext } from '../context.js';
import type { ApiRoutes } from '../http/api-routes.js';
import { VideoService } from '../videos/video-service.js';
import { videoIdParamsSchema } from '../videos/video-schemas.js';
import { analysisBodySchema, analysisListSchema, analysisParamsSchema, analysisResourceSchema } from './analysis-schemas.js';
import { AnalysisService, analysisSettingsOr400 } from './analysis-service.js';

const notFound = 'Unknown video or analysis, or not yours.';

export function registerAnalysisRoutes(routes: ApiRoutes, ctx: AppContext): void {
  const videos = new VideoService(ctx);
  const analyses = new AnalysisService(ctx);

  routes.add({
    method: 'post',
    path: '/api/v1/videos/:id/analyses',
    summary: 'Count line crossings and zone visits from the stored detections',
    description:
      "Lines (two points) and zones (a polygon) are given in fractions of the displayed frame (0..1, x right, y down). The tracker runs again over the stored boxes with the video's settings (or the `tracker` given here) and the model never runs again. Several analyses of a video can coexist. `in` is a move from a line's right side to its left side, looking from its first point toward its second; the anchor is the bottom centre of the box unless `anchor` names another.",
    tags: ['analyses'],
    auth: true,
    idempotent: true,
    params: videoIdParamsSchema,
    body: analysisBodySchema,
    response: { status: 202, description: 'Accepted: the analysis is queued; poll its `links.self`.', schema: analysisResourceSchema, headers: { Location: 'URL of the analysis.' } },
    errors: { 404: 'Unknown video, or not yours.', 409: 'The video is not completed.' },
    handler: async ({ user, params, body }) => {
      const video = await videos.getOwned(user.id, params.id);
      const analysis = await analyses.create(video, analysisSettingsOr400(body, video.options.tracker));
      const resource = analyses.toResource(analysis, video);
      return { body: resource, headers: { Location: resource.links.self } };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/videos/:id/analyses',
    summary: "A video's analyses, oldest first",
    tags: ['analyses'],
    auth: true,
    params: videoIdParamsSchema,
    response: { status: 200, description: 'The analyses.', schema: analysisListSchema },
    errors: { 404: 'Unknown video, or not yours.' },
    handler: async ({ user, params }) => {
      const video = await videos.getOwned(user.id, params.id);
      return { body: { items: (await analyses.list(video)).map((a) => analyses.toResource(a, video)) } };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/videos/:id/analyses/:analysis_id',
    summary: 'One analysis: per line, crossings by label and direction; per zone, entries, exits, visits and occupancy',
    tags: ['analyses'],
    auth: true,
    params: analysisParamsSchema,
    response: { status: 200, description: 'The analysis.', schema: analysisResourceSchema },
    errors: { 404: notFound },
    handler: async ({ user, params }) => {
      const video = await videos.getOwned(user.id, params.id);
      return { body: analyses.toResource(await analyses.get(video, params.analysis_id), video) };
    },
  });
}
