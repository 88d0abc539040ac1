import fc from 'fast-check';
import { resolve, type OpenApiDocument, type Schema } from './openapi-types.js';

/**
 * Values the API knows, by property or parameter name (`username`, `refresh_token`...): mixed into
 * the generated strings so requests reach past "unknown user" into the routes' success paths.
 * Filled at seed time and from the responses as the run goes.
 */
export type KnownValues = (name: string) => readonly string[];

/** Addresses for `format: uri`: never a random hostname, whose DNS lookup would only measure the resolver. */
const URIS = ['https://93.184.215.14/hook', 'http://127.0.0.1:9/x', 'http://169.254.169.254/latest', 'ftp://example.com/a', 'https://[::1]/v6', 'not a url'];

const STRING_CAP = 40;
const ARRAY_CAP = 4;

function bounds(schema: Schema, fallbackMin: number, fallbackMax: number): { min: number; max: number; minExcluded: boolean; maxExcluded: boolean } {
  const min = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum : (schema.minimum ?? fallbackMin);
  const max = typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum : (schema.maximum ?? fallbackMax);
  return { min, max, minExcluded: schema.exclusiveMinimum === true || typeof schema.exclusiveMinimum === 'number', maxExcluded: schema.exclusiveMaximum === true || typeof schema.exclusiveMaximum === 'number' };
}

/** Generates values of OpenAPI 3.0 schemas: valid ones, and mutations of them for the refusal paths. */
export class SchemaArbitraries {
  constructor(
    private readonly doc: OpenApiDocument,
    private readonly known: KnownValues,
  ) {}

  /** Values the schema accepts (as far as JSON Schema says: refinements in the code may still refuse some). */
  valid(schema: Schema, name = '', depth = 0): fc.Arbitrary<unknown> {
    const s = resolve(this.doc, schema);
    const generated = this.validOfType(s, name, depth);
    // The document's own example (a value that passes the refinements JSON Schema cannot express) now and then.
    const base = s.example !== undefined && s.example !== '' ? fc.oneof({ weight: 1, arbitrary: fc.constant(s.example) }, { weight: 2, arbitrary: generated }) : generated;
    // Read when a value is drawn (the known values grow during the run); a name with none known gets the generated value.
    const fromKnown = fc.tuple(fc.nat(), base).map(([i, generated]) => {
      const list = this.known(name);
      return list.length > 0 ? list[i % list.length] : generated;
    });
    const withKnown = s.type === 'string' && name ? fc.oneof({ weight: 3, arbitrary: fromKnown }, { weight: 2, arbitrary: base }) : base;
    return s.nullable ? fc.option(withKnown, { nil: null, freq: 6 }) : withKnown;
  }

  private validOfType(s: Schema, name: string, depth: number): fc.Arbitrary<unknown> {
    if (s.allOf?.length) return this.valid(this.mergeAll(s.allOf), name, depth);
    const alternatives = s.oneOf ?? s.anyOf;
    if (alternatives?.length) return fc.oneof(...alternatives.map((alt) => this.valid(alt, name, depth + 1)));
    if (s.enum?.length) return fc.constantFrom(...s.enum);
    switch (s.type) {
      case 'string':
        return this.string(s);
      case 'integer': {
        const b = bounds(s, -1_000_000, 1_000_000);
        return fc.integer({ min: Math.ceil(b.min + (b.minExcluded ? 1 : 0)), max: Math.floor(b.max - (b.maxExcluded ? 1 : 0)) });
      }
      case 'number': {
        const b = bounds(s, -1_000_000, 1_000_000);
        const double = fc.double({ min: b.min, max: b.max, minExcluded: b.minExcluded, maxExcluded: b.maxExcluded, noNaN: true, noDefaultInfinity: true });
        // Hundredths as people write them, besides fast-check's edge-seeking doubles.
        const hundredths = fc.integer({ min: Math.ceil(b.min * 100) + (b.minExcluded ? 1 : 0), max: Math.floor(b.max * 100) - (b.maxExcluded ? 1 : 0) }).map((v) => v / 100);
        const whole = fc.integer({ min: Math.ceil(b.min + (b.minExcluded ? 1 : 0)), max: Math.floor(b.max - (b.maxExcluded ? 1 : 0)) });
        return Math.ceil(b.min) <= Math.floor(b.max) - (b.maxExcluded ? 1 : 0) ? fc.oneof(double, hundredths, whole) : fc.oneof(double, hundredths);
      }
      case 'boolean':
        return fc.boolean();
      case 'array': {
        const minLength = s.minItems ?? 0;
        const maxLength = Math.min(s.maxItems ?? minLength + ARRAY_CAP, minLength + ARRAY_CAP);
        return depth > 6 ? fc.constant([]) : fc.array(this.valid(s.items ?? {}, name, depth + 1), { minLength, maxLength });
      }
      case 'object':
        return this.object(s, depth);
      case undefined:
        return s.properties ? this.object(s, depth) : fc.jsonValue({ maxDepth: 2 });
    }
  }

  private string(s: Schema): fc.Arbitrary<string> {
    const minLength = s.minLength ?? 0;
    const maxLength = Math.min(s.maxLength ?? minLength + STRING_CAP, minLength + STRING_CAP);
    const fits = (v: string) => v.length >= minLength && (s.maxLength === undefined || v.length <= s.maxLength);
    if (s.pattern) return fc.stringMatching(new RegExp(s.pattern)).filter(fits);
    if (s.format === 'uuid') return fc.uuid();
    if (s.format === 'date-time') return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
    if (s.format === 'uri') return fc.constantFrom(...URIS);
    const letters = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_.,:/ ');
    return fc.string({ minLength, maxLength, unit: fc.oneof({ weight: 8, arbitrary: letters }, { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) }) });
  }

  private object(s: Schema, depth: number): fc.Arbitrary<Record<string, unknown>> {
    const properties = s.properties ?? {};
    const required = s.required ?? [];
    const model = Object.fromEntries(Object.entries(properties).map(([key, prop]) => [key, this.valid(prop, key, depth + 1)]));
    return fc.record(model, { requiredKeys: required.filter((key) => key in properties) });
  }

  private mergeAll(parts: Schema[]): Schema {
    const resolved = parts.map((p) => resolve(this.doc, p));
    return {
      type: 'object',
      properties: Object.assign({}, ...resolved.map((p) => p.properties ?? {})) as Record<string, Schema>,
      required: resolved.flatMap((p) => p.required ?? []),
    };
  }

  /**
   * Values near the schema that may break it: a valid value with one property dropped or replaced by
   * any JSON, or any JSON at all. Whether the result is really invalid is for a validator to say.
   */
  mutated(schema: Schema): fc.Arbitrary<unknown> {
    const s = resolve(this.doc, schema);
    const anyJson = fc.jsonValue({ maxDepth: 3 });
    if (s.type !== 'object' && !s.properties) return anyJson;
    const valid = this.valid(s) as fc.Arbitrary<Record<string, unknown>>;
    const keys = Object.keys(s.properties ?? {});
    if (keys.length === 0) return anyJson;
    const dropped = fc.tuple(valid, fc.constantFrom(...keys)).map(([value, key]) => {
      const copy = { ...value };
      delete copy[key];
      return copy;
    });
    const replaced = fc.tuple(valid, fc.constantFrom(...keys), anyJson).map(([value, key, junk]) => ({ ...value, [key]: junk }));
    return fc.oneof(dropped, replaced, anyJson);
  }

  /**
   * Query or header strings the schema certainly refuses (wrong type, out of range, not in the
   * enum, too long), or null when it has no such value (a free string).
   */
  invalidString(schema: Schema): fc.Arbitrary<string> | null {
    const s = resolve(this.doc, schema);
    const options: string[] = [];
    if (s.enum?.length) options.push('not-a-member-of-the-enum');
    if (s.type === 'integer') options.push('abc', '1.5', '0x1g');
    if (s.type === 'number') options.push('abc', 'one', '1,5');
    if (s.type === 'boolean') options.push('maybe');
    if ((s.type === 'integer' || s.type === 'number') && s.minimum !== undefined) options.push(String(s.minimum - 1));
    if ((s.type === 'integer' || s.type === 'number') && s.maximum !== undefined) options.push(String(s.maximum + 1));
    if (s.type === 'string' && s.maxLength !== undefined) options.push('x'.repeat(s.maxLength + 1));
    return options.length > 0 ? fc.constantFrom(...options) : null;
  }
}
