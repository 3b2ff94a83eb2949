import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

import { cacheControlFrom, handler, sizesFrom } from '../index.mjs';

function s3Event(...keys) {
  return {
    Records: keys.map((key) => ({
      eventSource: 'aws:s3',
      s3: { bucket: { name: 'uploads' }, object: { key } },
    })),
  };
}

beforeEach(() => {
  delete process.env.THUMB_SIZES;
  delete process.env.THUMB_MAX_AGE;
});

test('plans one job per size for each image, skipping non-images and thumbnails', async () => {
  const out = await handler(s3Event('users/7/My+Cat.JPG', 'docs/a.pdf', 'thumbnails/128/x.webp', 'b.png'));
  assert.deepEqual(
    out.jobs.map((j) => [j.source, j.target, j.width]),
    [
      ['users/7/My Cat.JPG', 'thumbnails/128/users/7/My Cat.webp', 128],
      ['users/7/My Cat.JPG', 'thumbnails/512/users/7/My Cat.webp', 512],
      ['b.png', 'thumbnails/128/b.webp', 128],
      ['b.png', 'thumbnails/512/b.webp', 512],
    ],
  );
  assert.equal(out.jobs[0].cacheControl, 'public, max-age=2592000, immutable');
});

test('sizes and max-age come from the environment', async () => {
  process.env.THUMB_SIZES = '640, 64,640';
  process.env.THUMB_MAX_AGE = '12h';
  const out = await handler(s3Event('a.webp'));
  assert.deepEqual(out.jobs.map((j) => j.width), [64, 640]);
  assert.equal(out.jobs[0].cacheControl, 'public, max-age=43200, immutable');
});

test('bad settings fail loudly', () => {
  assert.throws(() => sizesFrom({ THUMB_SIZES: '128,huge' }), /THUMB_SIZES/);
  assert.throws(() => sizesFrom({ THUMB_SIZES: '8' }), /THUMB_SIZES/);
  assert.throws(() => cacheControlFrom({ THUMB_MAX_AGE: 'soon' }), /THUMB_MAX_AGE/);
});

test('an empty event plans nothing', async () => {
  assert.deepEqual(await handler({}), { jobs: [] });
});
