import { existsSync } from 'node:fs';
import path from 'node:path';


/** `../shared` beside the checkout: where this project keeps its test models, media and COCO set. */
export const sharedDir = path.resolve(process.cwd(), '../shared');

/** Runs the argument parser, printing the usage instead of a stack trace on a bad flag (exit 2), or on --help (exit 0). */
export function withUsage<T extends { help?: boolean }>(parse: () => T, usage: string): T {
  let values: T;
  try {
    values = parse();
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  return values;
}

/** The model to use when none is named: MODEL_PATH if set, else the deployment default, else the project's test model. */
export function defaultModelPath(): string {
  if (process.env.MODEL_PATH) return process.env.MODEL_PATH;
  const deployed = path.resolve('models/yolox_nano.onnx');
  return existsSync(deployed) ? deployed : path.join(sharedDir, 'models', 'yolox_nano.onnx');
}

export function positiveNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name} must be a non-negative number (got ${raw})`);
    process.exit(2);
  }
  return n;
}

/** Awaits the command, turning a failure into one line on stderr and exit code 1 (no stack trace for a bad model path). */
export async function runCli(name: string, command: () => Promise<void>): Promise<void> {
  try {
    await command();
  } catch (err) {
    console.error(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
