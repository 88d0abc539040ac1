import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  allEventTypes,
  compareStreamIds,
  endsVideoStream,
  eventEnvelope,
  isWebhookEventType,
  statusEventType,
  streamIdPattern,
  streamIdTime,
  videoStatuses,
  webhookEventTypes,
} from '@video-detect/shared';
import { repoRoot } from '../helpers/test-env.js';

describe('event types', () => {
  it('webhooks subscribe to the final video and render events; a video stream ends with the video ones', () => {
    assert.deepEqual(webhookEventTypes, ['video.completed', 'video.failed', 'video.cancelled', 'render.completed', 'render.failed']);
    assert.equal(isWebhookEventType('video.progress'), false);
    assert.deepEqual(allEventTypes.filter(endsVideoStream), ['video.completed', 'video.failed', 'video.cancelled']);
    assert.deepEqual(videoStatuses.map(statusEventType), ['video.queued', 'video.processing', 'video.completed', 'video.failed', 'video.cancelled']);
  });

  it('docs/integrations.md lists every event type', () => {
    const docs = readFileSync(path.join(repoRoot, 'docs/integrations.md'), 'utf8');
    for (const type of allEventTypes) assert.ok(docs.includes(`| \`${type}\` |`), `${type} is in the table of events`);
  });

  it('orders stream ids numerically and dates them', () => {
    assert.ok(compareStreamIds('1700000000000-2', '1700000000000-10') < 0);
    assert.ok(compareStreamIds('999-0', '1000-0') < 0);
    assert.equal(compareStreamIds('5-1', '5-1'), 0);
    assert.equal(streamIdTime('1700000000000-3'), '2023-11-14T22:13:20.000Z');
    assert.ok(streamIdPattern.test('0-0') && !streamIdPattern.test('yesterday') && !streamIdPattern.test('1-2-3'));
  });

  it('wraps stored data in the Standard Webhooks payload shape without parsing it', () => {
    const body = eventEnvelope('video.completed', '2024-01-01T00:00:00.000Z', '{"id":"x","n":[1,2]}');
    assert.deepEqual(JSON.parse(body), { type: 'video.completed', timestamp: '2024-01-01T00:00:00.000Z', data: { id: 'x', n: [1, 2] } });
  });
});
