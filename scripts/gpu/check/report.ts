/** One JSON line per result on stdout (the GPU check's output format); progress notes on stderr. */
export function report(fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ at: new Date().toISOString(), ...fields }));
}

export function note(message: string): void {
  console.error(`[gpu-check] ${message}`);
}
