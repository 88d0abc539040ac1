import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'superagent';
import { renderFileName, type RenderResource } from '@video-detect/shared';
import { startTestS3, type TestS3 } from '../helpers/s3-server.js';
import { countDecodedFrames, TestStack } from '../helpers/stack.js';
import { mediaPath } from '../helpers/test-env.js';

type Render = RenderResource & { status: string; error: { code: string; message: string } | null };

/**
 * Renders with STORAGE=s3: the real API, processor and detector on moto's S3. The processor draws
 * the boxes into a local scratch file and uploads it (commitScratch); the API serves the object,
 * ranges included; deleting the video deletes the render's object too.
 */
describe('renders on STORAGE=s3', () => {
  let s3: TestS3;
  let stack: TestStack;
  let downloads: string;

  before(async () => {
    downloads = mkdtempSync(path.join(tmpdir(), 'vd-s3-render-'));
    s3 = await startTestS3();
    stack = await TestStack.start({ ...s3.vars, CHUNK_FRAMES: '64' });
    stack.spawnService('processor');
    stack.spawnService('detector');
    await stack.waitForWorkers('detector', 1);
  });
  after(async () => {
    await stack?.stop();
    await s3?.close();
    rmSync(downloads, { recursive: true, force: true });
  });

  const http = () => stack.api.http();

  it('renders a completed video into the bucket, serves it whole and in ranges, and deletes it with the video', { timeout: 240_000 }, async () => {
    const source = mediaPath('friday.mp4');
    const up = await stack.upload(source);
    const video = await stack.waitForEnd(up.id, 180_000);
    assert.equal(video.status, 'completed', JSON.stringify(video.error));
    const sourceKey = `${up.id}.mp4`;
    assert.deepEqual(await s3.keys(), [sourceKey], 'only the upload is in the bucket');

    const posted = (await http().post(`/api/v1/videos/${up.id}/renders`).set('authorization', stack.authorization).send({}).expect(202)).body as Render;
    let render = posted;
    for (const deadline = Date.now() + 120_000; render.status !== 'completed'; await sleep(200)) {
      assert.notEqual(render.status, 'failed', JSON.stringify(render.error));
      assert.ok(Date.now() < deadline, `render still ${render.status}\n${stack.recentLogs()}`);
      render = (await http().get(`/api/v1/videos/${up.id}/renders/${posted.id}`).set('authorization', stack.authorization).expect(200)).body as Render;
    }
    const renderKey = renderFileName(up.id, posted.id);
    assert.deepEqual((await s3.keys()).sort(), [sourceKey, renderKey].sort(), 'the render is one object beside the upload: no scratch or partial object');
    assert.equal(await s3.pendingUploads(), 0, 'no unfinished multipart upload');

    // The whole file through the API.
    const fileUrl = `/api/v1/videos/${up.id}/renders/${posted.id}/file`;
    const whole = await http().get(fileUrl).set('authorization', stack.authorization).buffer(true).parse(binary).expect(200);
    const full = whole.body as Buffer;
    assert.ok(full.length > 1000, `${full.length} bytes`);
    assert.equal(whole.headers['content-type'], 'video/mp4');
    assert.equal(Number(whole.headers['content-length']), full.length);
    assert.equal(full.subarray(4, 8).toString('latin1'), 'ftyp', 'an MP4');
    const downloaded = path.join(downloads, 'render.mp4');
    writeFileSync(downloaded, full);
    assert.equal(countDecodedFrames(downloaded), countDecodedFrames(source), 'ffprobe decodes as many frames as the source has');

    // A range in the middle: 206, its Content-Range, exactly those bytes.
    const start = Math.floor(full.length / 3);
    const end = start + 4095;
    const part = await http().get(fileUrl).set('authorization', stack.authorization).set('range', `bytes=${start}-${end}`).buffer(true).parse(binary).expect(206);
    assert.equal(part.headers['content-range'], `bytes ${start}-${end}/${full.length}`);
    assert.ok((part.body as Buffer).equals(full.subarray(start, end + 1)), 'the bytes of the slice');
    // An open-ended suffix range too.
    const tail = await http().get(fileUrl).set('authorization', stack.authorization).set('range', 'bytes=-100').buffer(true).parse(binary).expect(206);
    assert.equal(tail.headers['content-range'], `bytes ${full.length - 100}-${full.length - 1}/${full.length}`);
    assert.ok((tail.body as Buffer).equals(full.subarray(full.length - 100)));

    // Nothing stays on the processor's or the API's disk: the scratch file went into the bucket.
    const scratch = path.join(stack.api.env.storageDir, '.scratch');
    assert.deepEqual(readdirSync(scratch, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name), [], 'no local scratch file left');

    await http().delete(`/api/v1/videos/${up.id}`).set('authorization', stack.authorization).expect(204);
    assert.deepEqual(await s3.keys(), [], 'the upload and the render are gone from the bucket');
    await http().get(fileUrl).set('authorization', stack.authorization).expect(404);
  });
});

/** supertest: the body as one Buffer, whatever the content type. */
function binary(res: Response, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}
