import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCompactLine, parseSeconds } from '@video-detect/shared';

describe("ffprobe's compact output", () => {
  it('reads only the lines of the asked section', () => {
    assert.deepEqual(parseCompactLine('packet|pts_time=2.900000|flags=K_|side_data|', 'packet'), { pts_time: '2.900000', flags: 'K_' });
    assert.equal(parseCompactLine('side_data|', 'packet'), null);
    assert.equal(parseCompactLine('', 'packet'), null);
    assert.equal(parseCompactLine('frame|best_effort_timestamp_time=1.5', 'packet'), null);
  });

  it('a missing timestamp is null, never 0', () => {
    assert.equal(parseSeconds(''), null);
    assert.equal(parseSeconds('N/A'), null);
    assert.equal(parseSeconds(undefined), null);
    assert.equal(parseSeconds('-0.080000'), -0.08);
  });
});
