import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OPENAPI_FILE, toSortedJson } from '../../services/api/src/index.js';
import { startTestApi, type TestApi } from '../helpers/api-client.js';
import { repoRoot } from '../helpers/test-env.js';

/** The contract as code generates it must be the one committed, so a change to it shows in review. */
describe('the committed OpenAPI document', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api.close();
  });

  it(`is what GET /openapi.json serves (run \`npm run openapi\` and commit ${OPENAPI_FILE} when it is not)`, async () => {
    const served = toSortedJson((await api.http().get('/openapi.json').expect(200)).body);
    const committed = readFileSync(path.join(repoRoot, OPENAPI_FILE), 'utf8');
    assert.equal(served, committed, `${OPENAPI_FILE} is out of date: run \`npm run openapi\` and commit the result`);
  });
});
