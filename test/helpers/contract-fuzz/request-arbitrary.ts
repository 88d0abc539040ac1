import fc from 'fast-check';
import { segmentBefore, type Caller, type FuzzState, type User } from './fuzz-state.js';
import { resolve, type OpenApiDocument, type OperationEntry, type Parameter, type Schema } from './openapi-types.js';
import { SchemaArbitraries } from './schema-arbitraries.js';

export type FuzzBody =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'raw'; contentType: string; text: string }
  | { kind: 'multipart'; fields: Record<string, string>; fileField: string; file: 'video' | 'junk' | 'none' };

/** One generated request, with what the generator knows about it (for the checks that follow from it). */
export interface FuzzRequest {
  entry: OperationEntry;
  caller: Caller;
  path: string;
  /** Path parameters that name a known id, with the user who owns it. */
  pathOwners: (User | null)[];
  query: Record<string, string>;
  /** Query parameters sent with a value their schema certainly refuses. */
  invalidQuery: string[];
  headers: Record<string, string>;
  body: FuzzBody;
}

/** A generated value as a query, header or form field sends it. */
function asText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

/** How fast-check prints a counterexample: the request as sent, not the operation's whole document entry. */
function describeRequest(this: FuzzRequest): string {
  const query = new URLSearchParams(this.query).toString();
  return `${this.caller}: ${this.entry.method.toUpperCase()} ${this.path}${query ? `?${query}` : ''} headers=${JSON.stringify(this.headers)} body=${JSON.stringify(this.body)}`;
}

const GARBAGE_IDS = ['not-an-id', '0', '-1', '00000000-0000-0000-0000-000000000000', 'x'.repeat(300), "' OR '1'='1", '../../etc/passwd', '%00', '9'.repeat(30)];
const RAW_BODIES = ['{', 'null', '[]', '"text"', '{"a":', 'not json at all', '{"username": {"$gt": ""}}'];

/** Generates requests for every operation of the document. */
export class RequestArbitrary {
  private readonly schemas: SchemaArbitraries;

  constructor(
    private readonly doc: OpenApiDocument,
    private readonly state: FuzzState,
  ) {
    this.schemas = new SchemaArbitraries(doc, state.known);
  }

  for(entry: OperationEntry): fc.Arbitrary<FuzzRequest> {
    const params = entry.operation.parameters ?? [];
    const pathParams = params.filter((p) => p.in === 'path');
    const queryParams = params.filter((p) => p.in === 'query');
    const headerParams = params.filter((p) => p.in === 'header');
    const caller = fc.oneof(
      { weight: 14, arbitrary: fc.constant<Caller>('owner') },
      { weight: 2, arbitrary: fc.constant<Caller>('other') },
      { weight: 1, arbitrary: fc.constantFrom<Caller>('none', 'garbage', 'forged', 'expired') },
    );
    const path = fc.tuple(...pathParams.map((p) => this.pathValue(entry, p))).map((values) => {
      let filled = entry.path;
      pathParams.forEach((p, i) => (filled = filled.replace(`{${p.name}}`, encodeURIComponent(values[i]!.value))));
      return { path: filled, owners: values.map((v) => v.owner) };
    });
    const query = fc.tuple(...queryParams.map((p) => fc.option(this.stringValue(p), { nil: undefined, freq: 2 })));
    const headers = fc.tuple(...headerParams.map((p) => fc.option(this.headerValue(p), { nil: undefined, freq: 2 })));
    return fc.record({ caller, path, query, headers, body: this.body(entry) }).map(({ caller, path, query, headers, body }) => ({
      [fc.toStringMethod]: describeRequest,
      entry,
      caller,
      path: path.path,
      pathOwners: path.owners,
      query: Object.fromEntries(queryParams.flatMap((p, i) => (query[i] ? [[p.name, query[i].value]] : []))),
      invalidQuery: queryParams.flatMap((p, i) => (query[i]?.invalid ? [p.name] : [])),
      headers: Object.fromEntries(headerParams.flatMap((p, i) => (headers[i] !== undefined ? [[p.name, headers[i]]] : []))),
      body,
    }));
  }

  /** A known id of the collection before the parameter (mostly), a value of its schema, or garbage. */
  private pathValue(entry: OperationEntry, param: Parameter): fc.Arbitrary<{ value: string; owner: User | null }> {
    const collection = segmentBefore(entry.path, param.name);
    // An empty or dot segment would be another path (`/webhooks//test`, `/webhooks/.` is `/webhooks`), not this operation with an odd id.
    const generated = this.schemas
      .valid(param.schema ?? { type: 'string' })
      .map((v) => ({ value: asText(v), owner: null }))
      .filter((v) => v.value !== '' && v.value !== '.' && v.value !== '..');
    const known = fc.tuple(fc.nat(), generated).map(([i, fallback]) => {
      const id = this.state.pickId(collection, i, entry.method === 'delete');
      return id ? { value: id.value, owner: id.owner } : fallback;
    });
    return fc.oneof(
      { weight: 8, arbitrary: known },
      { weight: 1, arbitrary: generated },
      { weight: 1, arbitrary: fc.constantFrom(...GARBAGE_IDS).map((value) => ({ value, owner: null })) },
    );
  }

  /** A query string value: valid for its schema, or one it certainly refuses. */
  private stringValue(param: Parameter): fc.Arbitrary<{ value: string; invalid: boolean }> {
    const schema = param.schema ?? { type: 'string' };
    const valid = this.schemas.valid(schema, param.name).map((v) => ({ value: asText(v), invalid: false }));
    const invalid = this.schemas.invalidString(schema);
    return invalid ? fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: invalid.map((value) => ({ value, invalid: true })) }) : valid;
  }

  private headerValue(param: Parameter): fc.Arbitrary<string> {
    const valid = this.schemas.valid(param.schema ?? { type: 'string' }, param.name).map(asText);
    // Header values must be visible ASCII to be sent at all; the garbage stays sendable.
    return fc.oneof(valid, fc.constantFrom('', ' ', 'x'.repeat(300), 'déjà-vu', '1-1', '99999999999999999-0')).map((v) => v.replace(/[^\x20-\x7e]/g, '?').trim());
  }

  private body(entry: OperationEntry): fc.Arbitrary<FuzzBody> {
    const content = entry.operation.requestBody?.content ?? {};
    const json = content['application/json']?.schema;
    if (json) {
      return fc.oneof(
        { weight: 6, arbitrary: this.schemas.valid(json).map((value): FuzzBody => ({ kind: 'json', value })) },
        { weight: 3, arbitrary: this.schemas.mutated(json).map((value): FuzzBody => ({ kind: 'json', value })) },
        { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES).map((text): FuzzBody => ({ kind: 'raw', contentType: 'application/json', text })) },
      );
    }
    const multipart = content['multipart/form-data']?.schema;
    if (multipart) return this.multipart(resolve(this.doc, multipart));
    // No body documented: mostly none, sometimes one anyway (the API must still answer as documented); fetch sends none with a GET.
    if (entry.method === 'get') return fc.constant<FuzzBody>({ kind: 'none' });
    return fc.oneof(
      { weight: 8, arbitrary: fc.constant<FuzzBody>({ kind: 'none' }) },
      { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES).map((text): FuzzBody => ({ kind: 'raw', contentType: 'application/json', text })) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((value): FuzzBody => ({ kind: 'json', value })) },
    );
  }

  private multipart(schema: Schema): fc.Arbitrary<FuzzBody> {
    const properties = schema.properties ?? {};
    const fileField = Object.keys(properties).find((name) => resolve(this.doc, properties[name]!).format === 'binary') ?? 'file';
    const fieldNames = Object.keys(properties).filter((name) => name !== fileField);
    const fields = fc.tuple(
      // Mostly absent (a default upload gets through to the pipeline), sometimes valid, sometimes not.
      ...fieldNames.map((name) =>
        fc.oneof(
          { weight: 4, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: this.schemas.valid(properties[name]!, name).map(asText) },
          { weight: 1, arbitrary: fc.constantFrom('', 'abc', '-1', '2', '{}', '{"lines": [{"name": "door", "points": [[0.5, 0], [0.5, 1]]}]}', '{"max_gap": -1}') },
        ),
      ),
    );
    const file = fc.oneof({ weight: 3, arbitrary: fc.constant('video' as const) }, { weight: 1, arbitrary: fc.constantFrom('junk' as const, 'none' as const) });
    return fc.record({ fields, file }).map(({ fields, file }): FuzzBody => ({
      kind: 'multipart',
      fields: Object.fromEntries(fieldNames.flatMap((name, i) => (fields[i] !== undefined ? [[name, fields[i]]] : []))),
      fileField,
      file,
    }));
  }
}
