import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ContractChecker, mediaTypeMatches, type ReceivedResponse } from '../helpers/contract-fuzz/contract-checker.js';
import { operationsOf, type OpenApiDocument } from '../helpers/contract-fuzz/openapi-types.js';
import { repoRoot } from '../helpers/test-env.js';

const doc = JSON.parse(readFileSync(`${repoRoot}/services/api/openapi.json`, 'utf8')) as OpenApiDocument;
const checker = new ContractChecker(doc);
const listWebhooks = operationsOf(doc).find((entry) => entry.name === 'GET /api/v1/webhooks')!;
const secure = { 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'self'" };

function response(status: number, body: unknown, headers: Record<string, string> = secure, contentType = 'application/json; charset=utf-8'): ReceivedResponse {
  return { status, contentType, headers: new Headers(headers), body, bodyText: JSON.stringify(body) };
}

describe("the contract fuzzer's checker (ajv against openapi.json)", () => {
  it('passes a response as documented', () => {
    assert.deepEqual(checker.problems(listWebhooks, response(200, { items: [] })), []);
    assert.deepEqual(checker.problems(listWebhooks, response(401, { error: { code: 'unauthorized', message: 'no' } })), []);
  });

  it('names what a response breaks: status, schema, error shape, content type, headers', () => {
    const problems = (res: ReceivedResponse) => checker.problems(listWebhooks, res).join('\n');
    assert.match(problems(response(418, { error: { code: 'teapot', message: 'no' } })), /status 418 is not documented/);
    assert.match(problems(response(500, { error: { code: 'internal_error', message: 'no' } })), /server error 500/);
    assert.match(problems(response(200, { items: [{ id: 5 }] })), /does not match the documented schema/);
    assert.match(problems(response(200, {})), /does not match the documented schema/);
    assert.match(problems(response(401, { message: 'no' })), /error body is not/);
    assert.match(problems(response(200, { items: [] }, secure, 'text/html')), /content type "text\/html" is not one documented/);
    assert.match(problems(response(200, { items: [] }, {})), /security headers missing/);
  });

  it('reads a JSON download documented as a file (an export) as a file that must be JSON', () => {
    const exportOp = operationsOf(doc).find((entry) => entry.name === 'GET /api/v1/videos/{id}/export')!;
    assert.deepEqual(checker.problems(exportOp, response(200, { images: [], annotations: [] })), []);
    const notJson = { ...response(200, '{"images": ['), bodyText: '{"images": [' };
    assert.match(checker.problems(exportOp, notJson).join('\n'), /a JSON file download is not JSON/);
  });
});

describe('media type ranges in the checker', () => {
  it('matches exact types, ranges and wildcards, ignoring parameters and case', () => {
    assert.equal(mediaTypeMatches('application/json', 'application/json; charset=utf-8'), true);
    assert.equal(mediaTypeMatches('video/*', 'video/mp4'), true);
    assert.equal(mediaTypeMatches('video/*', 'Video/X-Matroska'), true);
    assert.equal(mediaTypeMatches('*/*', 'image/jpeg'), true);
    assert.equal(mediaTypeMatches('video/*', 'application/octet-stream'), false);
    assert.equal(mediaTypeMatches('application/json', 'application/jsonp'), false);
  });
});
