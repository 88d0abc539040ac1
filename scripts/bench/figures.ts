/** A figure from repeated runs: median with min and max beside it (the machine is noisy). */
export interface Figure {
  median: number;
  min: number;
  max: number;
  runs: number;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export function figure(values: number[], digits = 2): Figure {
  if (values.length === 0) throw new Error('no values');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { median: round(median, digits), min: round(s[0] as number, digits), max: round(s.at(-1) as number, digits), runs: s.length };
}

/** One JSON line per figure on stdout; progress notes go to stderr. */
export function emit(metric: string, value: Figure, context: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ metric, ...value, ...context }));
}

/** A measurement that is not a repeated figure (a load step), as one JSON line on stdout. */
export function emitRecord(metric: string, record: Record<string, unknown>): void {
  console.log(JSON.stringify({ metric, ...record }));
}

export function note(message: string): void {
  console.error(`[bench] ${message}`);
}
