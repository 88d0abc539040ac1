import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fillRect, newRenderRecord, renderIdOf, renderOptionsSchema, sourceFrameRange, strokeRect, yuvFrameBytes, yuvOf, type YuvImage } from '@video-detect/shared';
import { cocoCategoryId, exportFileName, motLines } from '../../services/api/src/exports/export-formats.js';
import { encoderArgs, frameDuration, frameTimingOf, isConstantRate, strictlyRisingTimes, videoStartOffset } from '../../services/processor/src/rendering/render-video.js';

const image = (width: number, height: number): YuvImage => ({ width, height, data: Buffer.alloc(yuvFrameBytes(width, height), 0) });

describe('outputs: pure parts', () => {
  it('names export files from the upload, safe in a header', () => {
    assert.equal(exportFileName('Front door 2024-05-01.mp4', 'csv'), 'Front_door_2024-05-01-detections.csv');
    assert.equal(exportFileName('../../etc/passwd', 'coco'), 'passwd-coco.json');
    assert.equal(exportFileName('.mp4', 'mot'), 'mp4-mot.txt');
    assert.equal(exportFileName('...', 'mot'), 'video-mot.txt');
    assert.equal(exportFileName('caméra "1".mov', 'jsonl'), 'cam_ra_1_-detections.jsonl');
  });

  it('maps COCO-80 labels to the official category ids, other classes past 1000', () => {
    assert.deepEqual(['person', 'bottle', 'toothbrush'].map((l, i) => cocoCategoryId(l, [0, 39, 79][i]!)), [1, 44, 90]);
    assert.equal(cocoCategoryId('forklift', 3), 1003);
  });

  it('writes MOT lines with 1-based frames, x y w h and -1 for untracked boxes', () => {
    const text = motLines([{ index: 0, timestamp: 0, objects: [{ label: 'car', class_id: 2, score: 0.5, box: [1.004, 2, 11.5, 22.25], track_id: null }] }]);
    assert.equal(text, '1,-1,1,2,10.5,20.25,0.5,-1,-1,-1\n');
  });

  it('gives identical render options one id, whatever their order or duplicates', () => {
    const videoId = '7d3f4c1e-0d6b-4f54-9a57-3f0d2a0e6a11';
    const a = renderOptionsSchema.parse({ classes: ['person', 'car', 'person'], trails: true });
    const b = renderOptionsSchema.parse({ trails: true, classes: ['car', 'person'], track_ids: true });
    assert.equal(renderIdOf(videoId, a), renderIdOf(videoId, b));
    assert.notEqual(renderIdOf(videoId, a), renderIdOf(videoId, renderOptionsSchema.parse({ classes: ['car'] })));
    assert.notEqual(renderIdOf(videoId, a), renderIdOf('8d3f4c1e-0d6b-4f54-9a57-3f0d2a0e6a11', a));
    assert.match(newRenderRecord(videoId, a).id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('fills rectangles on the Y plane exactly and on whole 2x2 chroma samples', () => {
    const img = image(8, 6);
    const red = yuvOf([255, 0, 0]);
    fillRect(img, 1, 1, 3, 2, red);
    const y = [...img.data.subarray(0, 48)];
    assert.deepEqual(y.slice(8, 16), [0, red.y, red.y, 0, 0, 0, 0, 0]);
    assert.equal(y.filter((v) => v === red.y).length, 2);
    // Chroma 4x3: x 1..3 covers samples 0 and 1 of row 0.
    const u = [...img.data.subarray(48, 60)];
    assert.deepEqual(u, [red.u, red.u, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    strokeRect(img, [0, 0, 8, 6], 1, red);
    // The ring, and the two pixels filled before inside it.
    assert.equal([...img.data.subarray(0, 48)].filter((v) => v === red.y).length, 8 + 8 + 4 + 4 + 2);
    fillRect(img, -5, -5, 100, 100, red);
    assert.ok([...img.data.subarray(0, 48)].every((v) => v === red.y), 'clipped to the frame');
  });

  it('bounds a single frame by the midpoints to its neighbours', () => {
    const pts = [0, 0.04, 0.08, 0.12, 2.0];
    assert.deepEqual(sourceFrameRange(pts, 0, 1), { startFrame: 0, endFrame: 1, selectFrom: null, selectTo: 0.02, seekTo: 0 });
    assert.deepEqual(sourceFrameRange(pts, 4, 5), { startFrame: 4, endFrame: 5, selectFrom: 1.06, selectTo: null, seekTo: 0.06 });
  });

  it('renders a constant-rate source as numbered raw frames, anything else with each frame at its source time', () => {
    const grid = (n: number, fps: number, round: number) => Array.from({ length: n }, (_, i) => Math.round((5 + i / fps) * round) / round);
    assert.ok(isConstantRate(grid(900, 30, 1000), 30), '30 fps in a millisecond time base (33, 33, 34 ms), starting at 5 s');
    assert.ok(isConstantRate(grid(900, 30000 / 1001, 30000), 30000 / 1001), '29.97 fps');
    const dropped = grid(300, 25, 1000).filter((_, i) => i !== 100);
    assert.ok(!isConstantRate(dropped, 25), 'a dropped frame');
    const phone = Array.from({ length: 60 }, (_, i) => i * 0.033 + 0.02 * Math.floor(i / 5));
    assert.ok(!isConstantRate(phone, 60 / (phone.at(-1)! + 0.033)), 'a phone recording at its average rate');

    const input = { width: 320, height: 240, fps: 25, source: { input: '/v/a.mp4', label: 'a.mp4' }, audioCodec: 'aac', output: '/v/r.mp4', encoder: { preset: 'veryfast', crf: 23 } };
    const constant = encoderArgs(input, frameTimingOf({ frameTimes: grid(50, 25, 1000), fps: 25, timeBase: '1/12800', startTime: 5, audioCodec: 'aac' }));
    assert.deepEqual(constant.slice(0, 10), ['-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', '320x240', '-framerate', '25', '-i', 'pipe:0']);
    assert.ok(!constant.includes('-fps_mode'), 'constant-rate renders are encoded as before');
    const timed = encoderArgs(input, frameTimingOf({ frameTimes: phone, fps: 27, timeBase: '1/90000', startTime: 0, audioCodec: 'aac' }));
    assert.deepEqual(timed.slice(0, 4), ['-f', 'matroska', '-i', 'pipe:0']);
    assert.deepEqual(timed.slice(timed.indexOf('-fps_mode'), timed.indexOf('-fps_mode') + 4), ['-fps_mode', 'passthrough', '-enc_time_base', '1:90000']);


    // A video starting 0.5 s after its container (and audio): each frame at its source time, from 0.5 s on.
    const late = encoderArgs(input, frameTimingOf({ frameTimes: grid(50, 25, 1000), fps: 25, timeBase: '1/12800', startTime: 4.5, audioCodec: 'aac' }));
    assert.deepEqual(late.slice(0, 6), ['-itsoffset', '0.5', '-f', 'matroska', '-i', 'pipe:0']);
    assert.deepEqual(late.slice(late.indexOf('-fps_mode'), late.indexOf('-fps_mode') + 4), ['-fps_mode', 'passthrough', '-enc_time_base', '1:12800']);
    assert.equal(videoStartOffset({ frameTimes: [1.921333, 1.954667], startTime: 1.4, audioCodec: 'aac' }), 0.521333, 'an MPEG-TS whose video starts after its audio');
    assert.equal(videoStartOffset({ frameTimes: [1.921333], startTime: 1.4, audioCodec: null }), 0, 'no audio: nothing to keep in step with');
    assert.ok(!timed.includes('-itsoffset'), 'a video starting with its container is not shifted');

    assert.equal(frameDuration(phone, 3, 27), phone[4]! - phone[3]!);
    assert.equal(frameDuration(phone, 59, 27), phone[59]! - phone[58]!, 'the last frame lasts as long as the one before');
    assert.equal(frameDuration([0], 0, 25), 1 / 25);
  });

  it('keeps source times from the first frame, moving a frame that repeats or goes back a tick after the one before', () => {
    assert.deepEqual(strictlyRisingTimes([1.5, 1.533, 1.6], '1/1000'), [0, 1.533 - 1.5, 1.6 - 1.5]);
    const tick = 1 / 15360;
    const times = strictlyRisingTimes([2, 2.04, 2.04, 2.03, 2.08], '1/15360');
    assert.deepEqual(times.slice(0, 2), [0, 2.04 - 2]);
    assert.ok(Math.abs(times[2]! - (times[1]! + tick)) < 1e-12, 'a repeated time: one tick on');
    assert.ok(Math.abs(times[3]! - (times[2]! + tick)) < 1e-12, 'a time that goes back: one tick after the one before');
    assert.ok(Math.abs(times[4]! - (2.08 - 2)) < 1e-12, 'later frames keep their own time');
    assert.ok(times.every((t, i) => i === 0 || t > times[i - 1]!));
    assert.deepEqual(strictlyRisingTimes([], '1/90000'), []);
  });
});
