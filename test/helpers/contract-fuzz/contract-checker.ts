import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import type { OpenApiDocument, OperationEntry, Schema } from './openapi-types.js';

// ajv-formats is CommonJS with a default export; under NodeNext its callable is `.default`.
const addFormats = addFormatsPlugin as unknown as typeof addFormatsPlugin.default;

/** A response as the fuzzer received it. */
export interface ReceivedResponse {
  status: number;
  contentType: string;
  headers: Headers;
  /** Parsed JSON when the body was JSON, else the text (streams: not read). */
  body: unknown;
  bodyText: string;
}

/**
 * Checks responses against `openapi.json` with ajv (OpenAPI 3.0 schemas: `nullable` is understood,
 * `example` ignored): the status must be documented for the operation, the content type one it
 * documents, a JSON body valid against the documented schema, and every error the Error shape.
 */
export class ContractChecker {
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(private readonly doc: OpenApiDocument) {
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addFormat('binary', true);
    this.ajv.addSchema(toJsonSchema({ components: doc.components ?? {} }) as object, 'openapi.json');
  }

  /** A validator for a schema of the document (its `$ref`s point into the document's components). */
  validator(schema: Schema): ValidateFunction {
    const key = JSON.stringify(schema);
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(toJsonSchema(schema) as object);
      this.validators.set(key, validate);
    }
    return validate;
  }

  /** The problems of a response, empty when it keeps the contract. */
  problems(entry: OperationEntry, res: ReceivedResponse): string[] {
    const problems: string[] = [];
    if (res.status >= 500) problems.push(`server error ${res.status}`);
    const documented = entry.operation.responses[String(res.status)];
    if (!documented) {
      problems.push(`status ${res.status} is not documented (documented: ${Object.keys(entry.operation.responses).join(', ')})`);
      return problems;
    }
    const content = documented.content ?? {};
    const mediaTypes = Object.keys(content);
    if (mediaTypes.length === 0) {
      if (res.bodyText.length > 0) problems.push(`status ${res.status} documents no body, got ${JSON.stringify(res.bodyText.slice(0, 200))}`);
    } else {
      const mediaType = mediaTypes.find((type) => mediaTypeMatches(type, res.contentType));
      if (!mediaType) problems.push(`content type "${res.contentType}" is not one documented for ${res.status} (${mediaTypes.join(', ')})`);
      const schema = mediaType ? content[mediaType]?.schema : undefined;
      if (mediaType === 'application/json' && schema && isFile(schema)) {
        // A download documented as a file (an export): its content is the file, which must still be JSON.
        if (typeof res.body === 'string') problems.push(`a JSON file download is not JSON: ${JSON.stringify(res.bodyText.slice(0, 200))}`);
      } else if (mediaType === 'application/json' && schema) {
        const validate = this.validator(schema);
        if (!validate(res.body)) problems.push(`body does not match the documented schema: ${this.ajv.errorsText(validate.errors)}`);
      }
    }
    if (res.status >= 400) {
      const validate = this.validator({ $ref: '#/components/schemas/Error' });
      if (!validate(res.body)) problems.push(`error body is not {error: {code, message}}: ${JSON.stringify(res.bodyText.slice(0, 200))}`);
    }
    if (res.headers.get('x-content-type-options') !== 'nosniff' || !res.headers.get('content-security-policy')) problems.push('security headers missing');
    return problems;
  }
}

/** `{type: string, format: binary}`: OpenAPI 3.0's way to say the body is a file, whatever its media type. */
function isFile(schema: Schema): boolean {
  const { type, format } = schema as { type?: unknown; format?: unknown };
  return type === 'string' && format === 'binary';
}

/**
 * OpenAPI 3.0 schema → the JSON Schema ajv reads: `#/components/...` references point into the
 * added document, and draft-04 style boolean `exclusiveMinimum`/`exclusiveMaximum` become numbers.
 */
function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  const source = schema as Record<string, unknown>;
  for (const [key, value] of Object.entries(source)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/')) out[key] = `openapi.json${value}`;
    else if ((key === 'exclusiveMinimum' || key === 'exclusiveMaximum') && typeof value === 'boolean') {
      const bound = key === 'exclusiveMinimum' ? 'minimum' : 'maximum';
      if (value && typeof source[bound] === 'number') out[key] = source[bound];
    } else out[key] = toJsonSchema(value);
  }
  if (out.exclusiveMinimum !== undefined) delete out.minimum;
  if (out.exclusiveMaximum !== undefined) delete out.maximum;
  return out;
}

/** Whether a received Content-Type falls under a documented media type or range (video/* or any), parameters ignored. */
export function mediaTypeMatches(documented: string, received: string): boolean {
  const [type = '', subtype = ''] = documented.toLowerCase().split('/');
  const [gotType = '', gotSubtype = ''] = (received.toLowerCase().split(';')[0] ?? '').trim().split('/');
  return (type === '*' || type === gotType) && (subtype === '*' || subtype === gotSubtype);
}
