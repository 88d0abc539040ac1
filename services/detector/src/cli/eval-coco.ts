import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '@video-detect/shared';
import { InferenceClient } from '../inference/inference-client.js';
import { evaluateCoco, type CocoDetection, type CocoGroundTruth } from '../eval/coco-eval.js';
import { detectImage } from '../pipeline/detect-image.js';
import { defaultModelPath, positiveNumber, runCli, sharedDir, withUsage } from './cli-args.js';

const usage = `Usage: npm run eval:coco -- [--model FILE.onnx] [--coco-dir DIR] [--annotations FILE.json]
       [--score 0.01] [--nms-iou 0.65] [--max-dets 100] [--single-label] [--threads N]

COCO-style box AP (pycocotools semantics: AP@[.50:.95], AP@.50, AP@.75, area 'all', maxDets 100)
of an ONNX detector over a COCO instances set: DIR/images/<file_name> and DIR/*.json.
Boxes are multi-label (every class above --score, as mAP evaluations do); --single-label keeps
only each anchor's best class, as the service does.
Prints one JSON object. Defaults: --model = MODEL_PATH or models/yolox_nano.onnx,
--coco-dir = ../shared/coco.`;

interface CocoFile {
  images: Array<{ id: number; file_name: string; width: number; height: number }>;
  annotations: CocoGroundTruth[];
  categories: Array<{ id: number; name: string }>;
}

const args = withUsage(
  () =>
    parseArgs({
      options: {
        model: { type: 'string' },
        'coco-dir': { type: 'string' },
        annotations: { type: 'string' },
        score: { type: 'string' },
        'nms-iou': { type: 'string' },
        'max-dets': { type: 'string' },
        'single-label': { type: 'boolean', default: false },
        threads: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }).values,
  usage,
);

const config = loadConfig();
const modelPath = path.resolve(args.model ?? defaultModelPath());
const cocoDir = path.resolve(args['coco-dir'] ?? path.join(sharedDir, 'coco'));
const scoreThreshold = positiveNumber('score', args.score, 0.01);
const nmsIou = positiveNumber('nms-iou', args['nms-iou'], 0.65);
const maxDets = positiveNumber('max-dets', args['max-dets'], 100);

async function annotationsFile(): Promise<string> {
  if (args.annotations) return path.resolve(args.annotations);
  const { readdir } = await import('node:fs/promises');
  const jsons = (await readdir(cocoDir)).filter((f) => f.endsWith('.json'));
  if (jsons.length !== 1) throw new Error(`expected one instances .json in ${cocoDir}, found ${jsons.length}; name it with --annotations`);
  return path.join(cocoDir, jsons[0]!);
}

await runCli('eval:coco', async () => {
  const started = performance.now();
  const coco = JSON.parse(await readFile(await annotationsFile(), 'utf8')) as CocoFile;
  const client = await InferenceClient.start({
    modelPath,
    executionProvider: config.detector.executionProvider,
    deviceId: config.detector.deviceId,
    intraOpThreads: positiveNumber('threads', args.threads, config.detector.intraOpThreads),
    batchSize: 1,
  });
  try {
    // Model labels meet the annotation categories by name, so a custom model works with its own set.
    const categoryByName = new Map(coco.categories.map((c) => [c.name, c.id]));
    const unmatched = client.model.labels.filter((l) => !categoryByName.has(l));
    const detections: CocoDetection[] = [];
    const post = { scoreThreshold, nmsIou, maxPerFrame: maxDets, classIds: null, multiLabel: !args['single-label'] };
    // Two images in flight: one decodes while the other is at the model.
    const queue = [...coco.images];
    const work = async () => {
      for (let image = queue.shift(); image; image = queue.shift()) {
        const file = path.join(cocoDir, 'images', image.file_name);
        const { objects, width, height } = await detectImage(client, file, post);
        if (width !== image.width || height !== image.height) throw new Error(`${file} is ${width}x${height}, the annotations say ${image.width}x${image.height}`);
        for (const o of objects) {
          const category = categoryByName.get(o.label);
          if (category === undefined) continue;
          const [x1, y1, x2, y2] = o.box;
          detections.push({ image_id: image.id, category_id: category, bbox: [x1, y1, x2 - x1, y2 - y1], score: o.score });
        }
      }
    };
    await Promise.all([work(), work()]);
    // Detection order inside an image decides ties; keep it independent of which worker finished first.
    detections.sort((a, b) => a.image_id - b.image_id || b.score - a.score);
    const result = evaluateCoco(
      coco.images.map((i) => i.id),
      coco.annotations,
      detections,
      maxDets,
    );
    const round = (x: number) => Math.round(x * 10000) / 10000;
    console.log(
      JSON.stringify({
        model: modelPath,
        family: client.model.format.family,
        input_size: client.model.format.inputSize,
        labels: client.model.labelsFrom,
        coco_dir: cocoDir,
        images: result.images,
        categories_with_gt: result.categories,
        detections: result.detections,
        ap: round(result.ap),
        ap50: round(result.ap50),
        ap75: round(result.ap75),
        score_threshold: scoreThreshold,
        nms_iou: nmsIou,
        max_dets: maxDets,
        multi_label: !args['single-label'],
        ...(unmatched.length > 0 ? { labels_without_category: unmatched } : {}),
        seconds: Math.round((performance.now() - started) / 100) / 10,
      }),
    );
  } finally {
    await client.close();
  }
});
