/** Where the generated OpenAPI document is committed (`npm run openapi` writes it; a test compares). */
export const OPENAPI_FILE = 'services/api/openapi.json';

/** JSON with every object's keys sorted and a final newline: a committed document whose diff shows only contract changes. */
export function toSortedJson(value: unknown): string {
  const sorted = (_key: string, v: unknown): unknown =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v;
  return `${JSON.stringify(value, sorted, 2)}\n`;
}
