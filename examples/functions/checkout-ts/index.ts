// checkout-ts: price a cart and hand back a signed quote, through API Gateway
// (HTTP API, payload 2.0): POST {"lines": [{"sku", "qty"}], "promo"?}.
//
// Prices come from the catalog, never from the client. The answer is a quote
// signed with HMAC-SHA256 under QUOTE_SECRET and valid for QUOTE_TTL ("15m",
// parsed by ms), so that the payment step can take the quote back and charge
// exactly that total, without pricing the cart again.
//
// TypeScript, bundled by lambdas' esbuild preset (build { preset = "esbuild" })
// into one index.mjs: ms and the shared module are inside the bundle, and the
// zip needs no node_modules.
import { randomUUID } from 'node:crypto';
import ms from 'ms';

import { HttpError, jsonResponse, parseJsonBody } from './shared/index.mjs';
import { parseCart, priceCart } from './src/pricing';
import { signQuote } from './src/quote';
import type { Quote } from './src/types';

// The parts of the API Gateway event and response the handler uses.
interface HttpEvent {
  body?: string | null;
  isBase64Encoded?: boolean;
}
interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export async function handler(event: HttpEvent, _context?: unknown, now: () => number = Date.now): Promise<HttpResponse> {
  const secret = process.env.QUOTE_SECRET;
  const ttlMs = ms(process.env.QUOTE_TTL ?? '15m');
  if (!secret || !ttlMs || ttlMs <= 0) {
    console.error('QUOTE_SECRET must be set and QUOTE_TTL be a duration such as "15m"');
    return jsonResponse(500, { error: 'not configured' });
  }
  try {
    const doc = parseJsonBody(event);
    const priced = priceCart(parseCart(doc.lines), doc.promo);
    const quote: Quote = { id: randomUUID(), ...priced, expiresAt: new Date(now() + ttlMs).toISOString() };
    return jsonResponse(200, signQuote(quote, secret));
  } catch (err) {
    if (err instanceof HttpError) return jsonResponse(err.statusCode, { error: err.message });
    throw err;
  }
}
