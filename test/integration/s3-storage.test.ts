import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Readable } from 'node:stream';
import { CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { S3UploadStorage, StorageUnavailableError, UnreadableVideoError } from '@video-detect/shared';
import { assertError, startTestApi, type TestApi } from '../helpers/api-client.js';
import { startTestS3, type TestS3 } from '../helpers/s3-server.js';
import { mediaPath } from '../helpers/test-env.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');


/** STORAGE=s3 through the real API on a real S3 server (moto): uploads, rejections, reads, deletes, an unreachable store. */
describe('object storage (STORAGE=s3)', () => {
  let s3: TestS3;
  let api: TestApi;
  let alice: string;
  let work: string;
  /** A real 12+ MiB H.264 video: three 5 MiB parts, so the upload is a multipart one. */
  let bigVideo: string;

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'vd-s3-'));
    bigVideo = path.join(work, 'big.mp4');
    const made = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25', '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv444p', '-y', bigVideo]);
    assert.equal(made.status, 0, made.stderr?.toString());
    s3 = await startTestS3();
    api = await startTestApi({ ...s3.vars, MAX_UPLOAD_BYTES: String(20 * 1024 ** 2) });
    alice = (await api.login('alice')).authorization;
  });
  after(async () => {
    await api?.close();
    await s3?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('streams an upload into the bucket as a multipart upload, byte for byte, and writes nothing locally', async () => {
    const size = readFileSync(bigVideo).length;
    assert.ok(size > 10 * 1024 ** 2, `test video is ${size} bytes`);
    const res = await api.http().post('/api/v1/videos').set('authorization', alice).attach('video', bigVideo).expect(202);
    const key = `${res.body.id}.mp4`;
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
    assert.equal(head.ContentLength, size);
    // Received under the incoming prefix as a three-part multipart upload, then copied to its place.
    const incoming = `/${s3.bucket}/.incoming/${key}`;
    const sent = s3.proxy.requests.filter((r) => r.includes(key));
    assert.equal(sent.filter((r) => r.startsWith(`PUT ${incoming}?`) && /[?&]partNumber=/.test(r)).length, 3, sent.join('\n'));
    assert.ok(sent.some((r) => r.startsWith(`POST ${incoming}?`) && /[?&]uploadId=/.test(r)), 'the multipart upload completed');
    assert.ok(sent.some((r) => r.startsWith(`PUT /${s3.bucket}/${key}`)), 'copied to its place');
    assert.deepEqual(await s3.keys(), [key], 'nothing left under the incoming prefix');
    const stored = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    assert.equal(sha256(await stored.Body!.transformToByteArray()), sha256(readFileSync(bigVideo)));
    assert.equal(res.body.video.width, 1280, 'probed through a presigned URL');
    const served = await api.http().get(`/api/v1/videos/${res.body.id}/file`).set('authorization', alice).responseType('blob').expect(200);
    assert.equal(sha256(served.body as Buffer), sha256(readFileSync(bigVideo)), 'the promoted copy served whole through the API');
    assert.deepEqual(readdirSync(api.env.storageDir), []);
    assert.equal(await s3.pendingUploads(), 0);
  });

  it('deleting a video deletes its object', async () => {
    const res = await api.http().post('/api/v1/videos').set('authorization', alice).attach('video', mediaPath('friday.mp4')).expect(202);
    assert.ok((await s3.keys()).includes(`${res.body.id}.mp4`));
    await api.http().delete(`/api/v1/videos/${res.body.id}`).set('authorization', alice).expect(204);
    assert.ok(!(await s3.keys()).includes(`${res.body.id}.mp4`));
  });

  it('a rejected upload leaves no object and no open multipart upload (413 mid-stream, 415)', async () => {
    const before = await s3.keys();
    const junk = path.join(work, 'junk.mp4');
    writeFileSync(junk, Buffer.alloc(24 * 1024 ** 2, 7));
    const tooBig = await api.http().post('/api/v1/videos').set('authorization', alice).attach('video', junk);
    assert.equal(tooBig.status, 413);
    assertError(tooBig.body, 'file_too_large');
    assert.equal(await s3.pendingUploads(), 0, 'the multipart upload was aborted');

    const text = path.join(work, 'notes.mp4');
    writeFileSync(text, 'not a video at all');
    const notVideo = await api.http().post('/api/v1/videos').set('authorization', alice).attach('video', text).expect(415);
    assertError(notVideo.body, 'unsupported_media');
    assert.deepEqual(await s3.keys(), before);
  });

  it('presigned URLs serve byte ranges, and messages never carry the signature', async () => {
    const storage = api.ctx.uploads;
    assert.ok(storage instanceof S3UploadStorage);
    const res = await api.http().post('/api/v1/videos').set('authorization', alice).attach('video', mediaPath('friday.mp4')).expect(202);
    const source = await storage.source(`${res.body.id}.mp4`);
    assert.match(source.input, /X-Amz-Signature=/);
    assert.ok(!source.label.includes('?'), source.label);
    const part = await fetch(source.input, { headers: { range: 'bytes=1000-1999' } });
    assert.equal(part.status, 206);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), readFileSync(mediaPath('friday.mp4')).subarray(1000, 2000));
    await assert.rejects(storage.source('00000000-0000-4000-8000-000000000000.mp4'), UnreadableVideoError);
  });

  it('a scratch file (a render) becomes an object only once committed; discarded, it leaves nothing', async () => {
    const storage = api.ctx.uploads;
    const name = '00000000-0000-4000-8000-000000000001.render-test.mp4';
    const scratch = storage.scratchPathOf(name);
    writeFileSync(scratch, readFileSync(bigVideo));
    assert.equal(await storage.sizeOf(name), null, 'not visible while written');
    assert.equal(await storage.commitScratch(name), readFileSync(bigVideo).length);
    assert.equal(await storage.sizeOf(name), readFileSync(bigVideo).length);
    assert.ok(!existsSync(scratch), 'the local copy is gone once uploaded');
    await storage.remove(name);
    assert.equal(await storage.sizeOf(name), null);
    writeFileSync(storage.scratchPathOf('x.mp4'), 'partial');
    await storage.discardScratch('x.mp4');
    assert.ok(!existsSync(storage.scratchPathOf('x.mp4')));
    assert.equal(await s3.pendingUploads(), 0);
  });

  it('an upload that took longer than the idle age is still given the idle age, from when it completed, to be recorded', async () => {
    // Another replica's sweeper, which has never listed the bucket.
    const uploads = api.ctx.uploads as S3UploadStorage;
    const sweeper = new S3UploadStorage(uploads.settings, work);
    const name = '00000000-0000-4000-8000-00000000000c.mp4';
    await uploads.put(name, Readable.from([readFileSync(mediaPath('friday.mp4'))]));
    // As on AWS after a 2-hour upload: dated 2 h before it completed.
    const completed = Date.now() + 2 * 3600 * 1000;
    assert.deepEqual(await sweeper.sweepIncoming(60, completed), [], 'complete only now: kept, whatever its date');
    assert.deepEqual(await sweeper.sweepIncoming(60, completed + 30_000), [], 'still within the idle age of being seen');
    assert.deepEqual(await sweeper.sweepIncoming(60, completed + 61_000), [name], 'its request had the idle age to record it');
    assert.ok(!(await s3.keys()).some((key) => key.endsWith(name)), 'the orphan is gone');
    sweeper.client.destroy();
  });

  it('the sweep removes, by age, incoming objects and multipart uploads that received nothing; never a stored object', async () => {
    const storage = api.ctx.uploads as S3UploadStorage;
    const hour = 3600 * 1000;
    const earlier = await s3.keys(); // the videos of the tests above
    // A recorded video's object, an upload received but never recorded, and an unfinished multipart upload with one part.
    const stored = (await api.http().post('/api/v1/videos').set('authorization', alice).attach('video', mediaPath('friday.mp4')).expect(202)).body.id as string;
    const orphan = '00000000-0000-4000-8000-00000000000a.mp4';
    await storage.put(orphan, Readable.from([readFileSync(mediaPath('iphone_rotated.mov'))]));
    const unfinishedKey = storage.incomingKeyOf('00000000-0000-4000-8000-00000000000b.mp4');
    const { UploadId } = await s3.client.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: unfinishedKey }));
    await s3.client.send(new UploadPartCommand({ Bucket: s3.bucket, Key: unfinishedKey, UploadId, PartNumber: 1, Body: Buffer.alloc(1024) }));

    // Younger than the idle age: all kept. (moto dates every multipart upload 2010: the part's date keeps this one.)
    assert.deepEqual(await storage.sweepIncoming(60), []);
    assert.deepEqual((await s3.keys()).sort(), [...earlier, `${stored}.mp4`, storage.incomingKeyOf(orphan)].sort());
    assert.equal(await s3.pendingUploads(), 1);

    // An hour later: the incoming object and the unfinished upload go, the video's object stays.
    const removed = await storage.sweepIncoming(60, Date.now() + hour);
    assert.deepEqual(removed.sort(), [orphan, `${unfinishedKey} (unfinished)`].sort());
    assert.deepEqual((await s3.keys()).sort(), [...earlier, `${stored}.mp4`].sort());
    assert.equal(await s3.pendingUploads(), 0);
    assert.deepEqual(await storage.sweepIncoming(60, Date.now() + 24 * hour), [], 'nothing else, however old');
    await api.http().delete(`/api/v1/videos/${stored}`).set('authorization', alice).expect(204);
  });

  it('GET /videos/{id}/file streams from the bucket: ranges (206), whole (200), 304, 416, HEAD', async () => {
    const bytes = readFileSync(mediaPath('friday.mp4'));
    const res = await api.http().post('/api/v1/videos').set('authorization', alice).attach('video', mediaPath('friday.mp4')).expect(202);
    const file = `/api/v1/videos/${res.body.id}/file`;
    const part = await api.http().get(file).set('authorization', alice).set('range', 'bytes=100-4195').responseType('blob').expect(206);
    assert.equal(part.headers['content-range'], `bytes 100-4195/${bytes.length}`);
    assert.ok(bytes.subarray(100, 4196).equals(part.body as Buffer));
    const whole = await api.http().get(file).set('authorization', alice).responseType('blob').expect(200);
    assert.equal(whole.headers['accept-ranges'], 'bytes');
    assert.equal(sha256(whole.body as Buffer), sha256(bytes));
    await api.http().get(file).set('authorization', alice).set('if-none-match', whole.headers.etag as string).expect(304);
    assertError((await api.http().get(file).set('authorization', alice).set('range', `bytes=${bytes.length + 10}-`).expect(416)).body, 'range_not_satisfiable');
    const head = await api.http().head(file).set('authorization', alice).expect(200);
    assert.equal(head.headers['content-length'], String(bytes.length));
  });

  it('an unreachable store: the upload answers 503 JSON and nothing is recorded; the store back, uploads work again', async () => {
    const listed = async () => (await api.http().get('/api/v1/videos').set('authorization', alice).expect(200)).body.items.length as number;
    const count = await listed();
    s3.proxy.down();
    try {
      const res = await api.http().post('/api/v1/videos').set('authorization', alice).attach('video', mediaPath('friday.mp4'));
      assert.equal(res.status, 503);
      assertError(res.body, 'dependency_unavailable');
      assert.match(res.body.error.message, /object storage/);
      assert.equal(await listed(), count);
      await assert.rejects(api.ctx.uploads.source('x.mp4'), StorageUnavailableError);
    } finally {
      s3.proxy.up();
    }
    await api.http().post('/api/v1/videos').set('authorization', alice).attach('video', mediaPath('iphone_rotated.mov')).expect(202);
    assert.equal(await listed(), count + 1);
  });
});
