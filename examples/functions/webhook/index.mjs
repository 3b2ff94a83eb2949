// webhook: receive signed webhooks from a payment provider through API
// Gateway (HTTP API, payload 2.0).
//
// The sender signs `${timestamp}.${rawBody}` with HMAC-SHA256 under the
// shared secret and sends `x-webhook-timestamp: <unix seconds>` and
// `x-webhook-signature: sha256=<hex>`. The handler refuses bad signatures
// (401) and stale timestamps (replays, 401), accepts the events it knows
// (202) and ignores the rest (200), so the sender stops retrying them.
//
// No npm dependencies: node:crypto and the shared module do the work.

// `shared` is examples/libs/shared-js/shared, through the symlink in this folder.
import { HttpError, hmacSha256Hex, jsonResponse, parseJsonBody, rawBody, safeEqual } from './shared/index.mjs';

const TOLERANCE_SECONDS = 300;
const HANDLED = new Set(['payment.succeeded', 'payment.failed', 'refund.created']);

function header(event, name) {
  const headers = event.headers ?? {};
  // API Gateway HTTP APIs lower-case header names; be lenient anyway.
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/** Throws HttpError 401 unless the event carries a fresh, valid signature. */
export function verify(event, secret, nowSeconds) {
  const ts = header(event, 'x-webhook-timestamp');
  const sig = header(event, 'x-webhook-signature');
  if (!ts || !sig) throw new HttpError(401, 'missing signature headers');
  const seconds = Number(ts);
  if (!Number.isInteger(seconds) || Math.abs(nowSeconds - seconds) > TOLERANCE_SECONDS) {
    throw new HttpError(401, 'timestamp outside the tolerance');
  }
  const want = `sha256=${hmacSha256Hex(secret, `${ts}.${rawBody(event)}`)}`;
  if (!safeEqual(sig, want)) throw new HttpError(401, 'bad signature');
}

// Lambda's Node.js runtime calls handler(event, context, callback): the
// clock cannot be a third parameter (it would be the callback), so the
// handler passes it to handle, which the tests call with a fixed one.
export async function handler(event, _context) {
  return handle(event, () => Date.now());
}

export async function handle(event, now) {
  const secret = process.env.WEBHOOK_SECRET;
  if (!secret) {
    console.error('WEBHOOK_SECRET is not set');
    return jsonResponse(500, { error: 'not configured' });
  }
  try {
    verify(event, secret, Math.floor(now() / 1000));
    const doc = parseJsonBody(event);
    if (typeof doc.id !== 'string' || typeof doc.type !== 'string') {
      throw new HttpError(400, 'id and type are required strings');
    }
    if (!HANDLED.has(doc.type)) {
      return jsonResponse(200, { id: doc.id, status: 'ignored' });
    }
    console.log(JSON.stringify({ msg: 'webhook accepted', id: doc.id, type: doc.type }));
    return jsonResponse(202, { id: doc.id, status: 'accepted' });
  } catch (err) {
    if (err instanceof HttpError) return jsonResponse(err.statusCode, { error: err.message });
    throw err;
  }
}
