import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';

import { handle, handler } from '../index.mjs';

const SECRET = 'whsec_test';
const NOW = 1_767_225_600_000; // 2026-01-01T00:00:00Z, in ms
const now = () => NOW;

before(() => {
  process.env.WEBHOOK_SECRET = SECRET;
});

function signed(doc, { ts = NOW / 1000, secret = SECRET, base64 = false } = {}) {
  const body = JSON.stringify(doc);
  const sig = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
  return {
    headers: { 'x-webhook-timestamp': String(ts), 'x-webhook-signature': `sha256=${sig}` },
    body: base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: base64,
  };
}

async function call(event) {
  const resp = await handle(event, now);
  return [resp.statusCode, JSON.parse(resp.body)];
}

test('accepts a known, correctly signed event', async () => {
  assert.deepEqual(await call(signed({ id: 'evt_1', type: 'payment.succeeded' })), [
    202,
    { id: 'evt_1', status: 'accepted' },
  ]);
});

test('accepts base64-encoded bodies', async () => {
  const [status] = await call(signed({ id: 'evt_2', type: 'refund.created' }, { base64: true }));
  assert.equal(status, 202);
});

test('ignores unknown event types with 200', async () => {
  assert.deepEqual(await call(signed({ id: 'evt_3', type: 'customer.updated' })), [
    200,
    { id: 'evt_3', status: 'ignored' },
  ]);
});

test('refuses bad signatures, stale timestamps and missing headers', async () => {
  const doc = { id: 'evt_4', type: 'payment.failed' };
  assert.deepEqual(await call(signed(doc, { secret: 'other' })), [401, { error: 'bad signature' }]);
  assert.deepEqual(await call(signed(doc, { ts: NOW / 1000 - 301 })), [401, { error: 'timestamp outside the tolerance' }]);
  assert.deepEqual(await call({ body: JSON.stringify(doc) }), [401, { error: 'missing signature headers' }]);
  const tampered = signed(doc);
  tampered.body = tampered.body.replace('evt_4', 'evt_5');
  assert.deepEqual(await call(tampered), [401, { error: 'bad signature' }]);
});

test('refuses signed bodies without id and type', async () => {
  assert.deepEqual(await call(signed({ type: 'payment.failed' })), [400, { error: 'id and type are required strings' }]);
});

test('answers 500 when the secret is not configured', async () => {
  delete process.env.WEBHOOK_SECRET;
  try {
    const [status] = await call(signed({ id: 'evt_6', type: 'payment.failed' }));
    assert.equal(status, 500);
  } finally {
    process.env.WEBHOOK_SECRET = SECRET;
  }
});

test('the handler Lambda calls (event, context, callback) uses the real clock', async () => {
  // A stale timestamp from the fixed clock: refused, whatever the third argument is.
  const resp = await handler(signed({ id: 'evt_7', type: 'payment.failed' }), {}, () => {
    throw new Error('the callback must not be called');
  });
  assert.equal(resp.statusCode, 401);
  assert.deepEqual(JSON.parse(resp.body), { error: 'timestamp outside the tolerance' });
});
