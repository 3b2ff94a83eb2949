import { test, before } from 'node:test';
import assert from 'node:assert/strict';

import { handler } from '../index';
import { canonical, verifyQuote } from '../src/quote';
import type { SignedQuote } from '../src/types';

const SECRET = 'quote-secret-test';
const NOW = Date.UTC(2026, 0, 1); // 2026-01-01T00:00:00Z
const now = () => NOW;

before(() => {
  process.env.QUOTE_SECRET = SECRET;
  process.env.QUOTE_TTL = '15m';
});

async function call(body: unknown): Promise<[number, any]> {
  const resp = await handler({ body: typeof body === 'string' ? body : JSON.stringify(body) }, {}, now);
  assert.equal(resp.headers['content-type'], 'application/json');
  return [resp.statusCode, JSON.parse(resp.body)];
}

test('answers a signed quote that expires after QUOTE_TTL', async () => {
  const [status, quote] = await call({ lines: [{ sku: 'tea-earl-grey', qty: 2 }], promo: 'TEA10' });
  assert.equal(status, 200);
  assert.match(quote.id, /^[0-9a-f-]{36}$/);
  assert.equal(quote.totalCents, 900 - 90 + 495);
  assert.equal(quote.expiresAt, '2026-01-01T00:15:00.000Z');
  assert.match(quote.signature, /^sha256=[0-9a-f]{64}$/);
  assert.ok(verifyQuote(quote, SECRET, NOW + 60_000));
});

test('a quote stops verifying when changed, expired or under another secret', async () => {
  const [, quote] = await call({ lines: [{ sku: 'kettle', qty: 1 }] });
  assert.ok(verifyQuote(quote, SECRET, NOW));
  // The order of keys does not matter: the signature is over canonical JSON.
  const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(quote).reverse()))) as SignedQuote;
  assert.ok(verifyQuote(reordered, SECRET, NOW));
  assert.equal(verifyQuote({ ...quote, totalCents: 1 }, SECRET, NOW), false);
  assert.equal(verifyQuote(quote, SECRET, NOW + 15 * 60_000), false);
  assert.equal(verifyQuote(quote, 'other', NOW), false);
});

test('canonical JSON sorts keys at every level', () => {
  assert.equal(canonical({ b: 1, a: [{ d: null, c: 'x' }], e: undefined }), '{"a":[{"c":"x","d":null}],"b":1}');
});

test('answers 400 for bad bodies and carts', async () => {
  assert.deepEqual(await call('not json'), [400, { error: 'body is not valid JSON' }]);
  assert.deepEqual(await call({ lines: [{ sku: 'caviar', qty: 1 }] }), [400, { error: 'lines[0]: unknown sku' }]);
});

test('answers 500 when not configured', async () => {
  for (const [k, v] of [
    ['QUOTE_SECRET', undefined],
    ['QUOTE_TTL', 'soon'],
  ] as const) {
    const saved = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
    try {
      const [status] = await call({ lines: [{ sku: 'kettle', qty: 1 }] });
      assert.equal(status, 500, k);
    } finally {
      process.env[k] = saved;
    }
  }
});
