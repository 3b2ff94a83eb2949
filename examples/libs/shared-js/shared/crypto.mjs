import { createHmac, timingSafeEqual } from 'node:crypto';

/** Hex HMAC-SHA256 of payload under secret. */
export function hmacSha256Hex(secret, payload) {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

/** Compares two strings in time independent of where they differ. */
export function safeEqual(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  if (x.length !== y.length) return false;
  return timingSafeEqual(x, y);
}
