import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  HttpError,
  hmacSha256Hex,
  isImageKey,
  jsonResponse,
  parseJsonBody,
  safeEqual,
  splitKey,
} from '../shared/index.mjs';

test('jsonResponse sets the content type and serializes the body', () => {
  assert.deepEqual(jsonResponse(201, { ok: true }, { 'x-id': '1' }), {
    statusCode: 201,
    headers: { 'content-type': 'application/json', 'x-id': '1' },
    body: '{"ok":true}',
  });
});

test('parseJsonBody reads plain and base64 bodies and refuses the rest', () => {
  assert.deepEqual(parseJsonBody({ body: '{"a":1}' }), { a: 1 });
  const b64 = Buffer.from('{"b":2}').toString('base64');
  assert.deepEqual(parseJsonBody({ body: b64, isBase64Encoded: true }), { b: 2 });
  for (const body of ['{', '[1]', 'null', '3', undefined]) {
    assert.throws(() => parseJsonBody({ body }), (err) => err instanceof HttpError && err.statusCode === 400);
  }
});

test('hmacSha256Hex matches a known vector (RFC 4231 case 2)', () => {
  assert.equal(
    hmacSha256Hex('Jefe', 'what do ya want for nothing?'),
    '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  );
});

test('safeEqual', () => {
  assert.equal(safeEqual('abc', 'abc'), true);
  assert.equal(safeEqual('abc', 'abd'), false);
  assert.equal(safeEqual('abc', 'abcd'), false);
});

test('splitKey decodes and splits S3 event keys', () => {
  assert.deepEqual(splitKey('uploads/a/My+Cat.JPG'), { dir: 'uploads/a', stem: 'My Cat', ext: 'jpg' });
  assert.deepEqual(splitKey('caf%C3%A9.png'), { dir: '', stem: 'café', ext: 'png' });
  assert.deepEqual(splitKey('docs/README'), { dir: 'docs', stem: 'README', ext: '' });
  assert.deepEqual(splitKey('.hidden'), { dir: '', stem: '.hidden', ext: '' });
  assert.equal(isImageKey('a/b.webp'), true);
  assert.equal(isImageKey('a/b.pdf'), false);
});
