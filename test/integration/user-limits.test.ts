import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INCOMING_DIR } from '@video-detect/shared';
import { assertError, startTestApi, type TestApi } from '../helpers/api-client.js';
import { mediaPath } from '../helpers/test-env.js';

const friday = mediaPath('friday.mp4');
const fridayBytes = statSync(friday).size;
/** Uploads kept in storage; one still half-received in `.incoming/` counts too. */
const storedFiles = (api: TestApi) => {
  const kept = readdirSync(api.env.storageDir).filter((name) => name !== INCOMING_DIR);
  return [...kept, ...readdirSync(path.join(api.env.storageDir, INCOMING_DIR))];
};

function upload(api: TestApi, authorization: string, file = friday) {
  return api.http().post('/api/v1/videos').set('authorization', authorization).attach('video', file);
}

async function listed(api: TestApi, authorization: string): Promise<string[]> {
  const res = await api.http().get('/api/v1/videos').set('authorization', authorization).expect(200);
  return (res.body as { items: Array<{ id: string }> }).items.map((v) => v.id);
}

/** USER_MAX_ACTIVE_VIDEOS and USER_MAX_STORED_BYTES on the real API and Redis (no workers: videos stay queued). */
describe('per-user limits', () => {
  describe('videos queued or processing at once', () => {
    let api: TestApi;
    let alice: string;
    let bob: string;
    before(async () => {
      api = await startTestApi({ USER_MAX_ACTIVE_VIDEOS: '2' });
      alice = (await api.login('alice')).authorization;
      bob = (await api.login('bob')).authorization;
    });
    after(() => api.close());

    it('refuses the third upload with 429 and stores nothing; other users are not affected', async () => {
      // Two at once for the last places: both fit; a third racing them does not.
      const results = await Promise.all([upload(api, alice), upload(api, alice), upload(api, alice)]);
      assert.deepEqual(results.map((r) => r.status).sort(), [202, 202, 429]);
      assertError(results.find((r) => r.status === 429)!.body, 'too_many_active_videos');
      assert.equal(storedFiles(api).length, 2, 'the refused file is not kept');
      assert.equal((await listed(api, alice)).length, 2);
      await upload(api, bob).expect(202);
    });

    it('a finished (cancelled) video frees its place; a retry takes one again', async () => {
      const [first] = await listed(api, alice);
      await api.http().post(`/api/v1/videos/${first}/cancel`).set('authorization', alice).expect(202);
      await upload(api, alice).expect(202);
      const retry = await api.http().post(`/api/v1/videos/${first}/retry`).set('authorization', alice);
      assert.equal(retry.status, 429);
      assertError(retry.body, 'too_many_active_videos');
      assert.equal((await api.ctx.videos.get(first!))?.status, 'cancelled', 'the refused retry changed nothing');
    });
  });

  describe('stored bytes', () => {
    let api: TestApi;
    let carol: string;
    before(async () => {
      api = await startTestApi({ USER_MAX_STORED_BYTES: String(2 * fridayBytes + 1000) });
      carol = (await api.login('carol')).authorization;
    });
    after(() => api.close());

    it('refuses an upload that would go over with 413, stores nothing, and makes room again on delete', async () => {
      const first = (await upload(api, carol).expect(202)).body as { id: string };
      await upload(api, carol).expect(202);
      const over = await upload(api, carol);
      assert.equal(over.status, 413);
      assertError(over.body, 'storage_quota_exceeded');
      assert.equal(storedFiles(api).length, 2);
      assert.equal((await listed(api, carol)).length, 2);
      await api.http().delete(`/api/v1/videos/${first.id}`).set('authorization', carol).expect(204);
      await api.http().delete(`/api/v1/videos/${first.id}`).set('authorization', carol).expect(404);
      await upload(api, carol).expect(202);
      assert.equal(storedFiles(api).length, 2);
    });

    it('counts the videos a user stored before the limit existed', async () => {
      const { authorization, userId } = await api.login('dave');
      await upload(api, authorization).expect(202);
      await upload(api, authorization).expect(202);
      // As after an upgrade: the counter is gone, the videos are there.
      await api.ctx.redis.del(api.ctx.keys.userUsage(userId));
      assertError((await upload(api, authorization).expect(413)).body, 'storage_quota_exceeded');
    });
  });
});
