// The shapes the checkout works with. Amounts are integer cents: no floats
// anywhere near money.

export type Category = 'tea' | 'coffee' | 'gear';

export interface Product {
  name: string;
  unitCents: number;
  category: Category;
}

/** A cart line as the client sends it. */
export interface CartLine {
  sku: string;
  qty: number;
}

export interface PricedLine {
  sku: string;
  name: string;
  qty: number;
  unitCents: number;
  lineCents: number; // qty * unitCents
  discountCents: number;
}

export interface Priced {
  currency: 'EUR';
  lines: PricedLine[];
  promo: string | null;
  subtotalCents: number;
  discountCents: number;
  shippingCents: number;
  totalCents: number;
}

export interface Quote extends Priced {
  id: string;
  expiresAt: string; // ISO 8601, UTC
}

export interface SignedQuote extends Quote {
  signature: string; // sha256=<hex HMAC of the canonical quote>
}
