import type { Quote, SignedQuote } from './types';
import { hmacSha256Hex, safeEqual } from '../shared/index.mjs';

/**
 * JSON with object keys sorted at every level: the bytes the signature is
 * over do not depend on the order a client sends the keys back in.
 */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function signQuote(quote: Quote, secret: string): SignedQuote {
  return { ...quote, signature: `sha256=${hmacSha256Hex(secret, canonical(quote))}` };
}

/**
 * Whether a quote a client hands back (to the payment step) is one we
 * signed, unchanged, and not expired at nowMs.
 */
export function verifyQuote(signed: SignedQuote, secret: string, nowMs: number): boolean {
  const { signature, ...quote } = signed;
  if (typeof signature !== 'string') return false;
  if (!safeEqual(signature, `sha256=${hmacSha256Hex(secret, canonical(quote))}`)) return false;
  return Date.parse(quote.expiresAt) > nowMs;
}
