import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { MediaUrls } from '../../services/api/src/media/media-urls.js';
import { assertError, startTestApi, type TestApi } from '../helpers/api-client.js';
import { mediaPath } from '../helpers/test-env.js';

describe('GET /videos/{id}/file and signed media URLs', () => {
  let api: TestApi;
  let alice: string;
  let bob: string;
  let videoId: string;
  let fileLink: string;
  const original = readFileSync(mediaPath('friday.mp4'));
  before(async () => {
    api = await startTestApi({ MEDIA_URL_TTL_SECONDS: '60' });
    alice = (await api.login('alice')).authorization;
    bob = (await api.login('bob')).authorization;
    const res = await api.http().post('/api/v1/videos').set('authorization', alice).attach('video', mediaPath('friday.mp4')).expect(202);
    videoId = res.body.id;
    fileLink = res.body.links.file;
  });
  after(async () => {
    await api.close();
  });

  it('streams the stored upload byte for byte with a bearer token, and answers ranges with 206', async () => {
    const full = await api.http().get(`/api/v1/videos/${videoId}/file`).set('authorization', alice).responseType('blob').expect(200);
    assert.equal(full.headers['accept-ranges'], 'bytes');
    assert.equal(full.headers['content-type'], 'video/mp4');
    assert.ok(original.equals(full.body as Buffer), 'same bytes as uploaded');
    const part = await api.http().get(`/api/v1/videos/${videoId}/file`).set('authorization', alice).set('range', 'bytes=1000-1999').responseType('blob').expect(206);
    assert.equal(part.headers['content-range'], `bytes 1000-1999/${original.length}`);
    assert.ok(original.subarray(1000, 2000).equals(part.body as Buffer));
    const tail = await api.http().get(`/api/v1/videos/${videoId}/file`).set('authorization', alice).set('range', 'bytes=-100').responseType('blob').expect(206);
    assert.ok(original.subarray(original.length - 100).equals(tail.body as Buffer));
    await api.http().get(`/api/v1/videos/${videoId}/file`).set('authorization', alice).set('range', `bytes=${original.length + 10}-`).expect(416);
  });

  it("hides another user's file (404) and refuses no credentials (401)", async () => {
    assertError((await api.http().get(`/api/v1/videos/${videoId}/file`).set('authorization', bob).expect(404)).body, 'video_not_found');
    assertError((await api.http().get(`/api/v1/videos/${videoId}/file`).expect(401)).body, 'unauthorized');
  });

  it('links.file is a signed URL that opens the file without a token, ranges included', async () => {
    assert.match(fileLink, new RegExp(`^/api/v1/videos/${videoId}/file\\?expires=\\d+&signature=[\\w-]+$`));
    const part = await api.http().get(fileLink).set('range', 'bytes=0-99').responseType('blob').expect(206);
    assert.ok(original.subarray(0, 100).equals(part.body as Buffer));
  });

  it('refuses a signature that was altered, moved to another video or resource, or carries another expiry', async () => {
    const url = new URL(fileLink, 'http://x');
    const sig = url.searchParams.get('signature')!;
    const expires = url.searchParams.get('expires')!;
    const flipped = `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`;
    assertError((await api.http().get(`${url.pathname}?expires=${expires}&signature=${flipped}`).expect(401)).body, 'invalid_media_signature');
    assertError((await api.http().get(`${url.pathname}?expires=${Number(expires) + 3600}&signature=${sig}`).expect(401)).body, 'invalid_media_signature');
    const other = await api.http().post('/api/v1/videos').set('authorization', bob).attach('video', mediaPath('friday.mp4')).expect(202);
    assertError((await api.http().get(`/api/v1/videos/${other.body.id}/file?expires=${expires}&signature=${sig}`).expect(401)).body, 'invalid_media_signature');
    // Bob's own link does not open Alice's video either.
    const bobs = new URL(other.body.links.file, 'http://x');
    assertError((await api.http().get(`/api/v1/videos/${videoId}/file${bobs.search}`).expect(401)).body, 'invalid_media_signature');
    assertError((await api.http().get(`/api/v1/videos/${videoId}/file?expires=${expires}`).expect(401)).body, 'unauthorized');
  });

  it('an expired link answers 401 media_url_expired', async () => {
    // The server's key, signed two minutes ago with a 60 s lifetime.
    const past = new MediaUrls(api.env.config.mediaUrls.secret, api.env.vars.JWT_SECRET!, 60, () => Date.now() - 120_000);
    const owner = (await api.ctx.videos.get(videoId))!.owner_id;
    assertError((await api.http().get(past.sign(owner, videoId, 'file').url).expect(401)).body, 'media_url_expired');
  });

  it('POST …/media-urls mints URLs for the allowed resources only, for the owner only', async () => {
    const res = await api.http().post(`/api/v1/videos/${videoId}/media-urls`).set('authorization', alice).send({ resources: ['file', 'frames/12.jpg'] }).expect(200);
    assert.equal(res.body.items.length, 2);
    assert.equal(res.body.items[1].resource, 'frames/12.jpg');
    assert.match(res.body.items[1].url, new RegExp(`^/api/v1/videos/${videoId}/frames/12\\.jpg\\?expires=`));
    const expiresAt = Date.parse(res.body.items[0].expires_at);
    assert.ok(expiresAt > Date.now() + 50_000 && expiresAt <= Date.now() + 61_000, 'MEDIA_URL_TTL_SECONDS');
    await api.http().get(res.body.items[0].url).set('range', 'bytes=0-9').expect(206);
    assertError((await api.http().post(`/api/v1/videos/${videoId}/media-urls`).set('authorization', alice).send({ resources: ['../../etc/passwd'] }).expect(400)).body, 'invalid_request');
    assertError((await api.http().post(`/api/v1/videos/${videoId}/media-urls`).set('authorization', bob).send({ resources: ['file'] }).expect(404)).body, 'video_not_found');
  });

  it('a deleted video’s link stops working', async () => {
    const res = await api.http().post('/api/v1/videos').set('authorization', alice).attach('video', mediaPath('friday.mp4')).expect(202);
    await api.http().delete(`/api/v1/videos/${res.body.id}`).set('authorization', alice).expect(204);
    assertError((await api.http().get(res.body.links.file).expect(401)).body, 'invalid_media_signature');
  });
});
