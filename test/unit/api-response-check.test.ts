import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkResponseBody } from '../../services/api/src/http/api-routes.js';
import { videoListSchema } from '../../services/api/src/videos/video-schemas.js';

/** Outside production every response body is checked against its declared schema: drift fails a test. */
describe('response bodies against their schemas', () => {
  it('passes a body as declared, refuses a missing, mistyped or undeclared field', () => {
    checkResponseBody(videoListSchema, { items: [], next_offset: null }, 'GET /x');
    assert.throws(() => checkResponseBody(videoListSchema, { items: [] }, 'GET /x'), /GET \/x: the response body does not match its schema: next_offset/);
    assert.throws(() => checkResponseBody(videoListSchema, { items: [], next_offset: '2' }, 'GET /x'), /next_offset/);
    assert.throws(() => checkResponseBody(videoListSchema, { items: [], next_offset: null, total: 3 }, 'GET /x'), /fields its schema does not declare/);
  });
});
