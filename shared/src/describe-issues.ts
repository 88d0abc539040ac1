import type { z } from 'zod';

/** "sample_fps: Too small: expected number to be >0; classes: …": one line naming each bad field, for API errors and failed jobs alike. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}
