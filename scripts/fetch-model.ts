/**
 * `npm run fetch-model -- --url <url> --sha256 <hex> [--out models/<name>.onnx]`: fetches a model
 * other than the one the repository ships (models/yolox_nano.onnx), checked against its sha256.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { downloadModel } from './model/download-model.js';

const { values } = parseArgs({ options: { url: { type: 'string' }, sha256: { type: 'string' }, out: { type: 'string' } } });
if (!values.url || !values.sha256) {
  console.error('usage: npm run fetch-model -- --url <https://…/model.onnx> --sha256 <64 hex digits> [--out models/<name>.onnx]');
  process.exit(2);
}
const out = values.out ?? path.join('models', path.basename(new URL(values.url).pathname) || 'model.onnx');
try {
  await downloadModel(values.url, values.sha256, out);
  console.log(`saved ${out}; run with MODEL_PATH=${out}`);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
