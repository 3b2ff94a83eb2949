import type { CartLine, Priced, PricedLine } from './types';
import { CATALOG } from './catalog';
// `shared` is examples/libs/shared-js/shared, through the symlink in the
// function's folder; esbuild follows it and bundles the module.
import { HttpError } from '../shared/index.mjs';

export const SHIPPING_CENTS = 495;
export const FREE_SHIPPING_FROM_CENTS = 5000; // after discounts
const MAX_LINES = 50;
const MAX_QTY = 99;

interface Promotion {
  describe: string;
  /** Sets discountCents on the lines it applies to. */
  apply(lines: PricedLine[]): void;
}

export const PROMOTIONS: Readonly<Record<string, Promotion>> = {
  TEA10: {
    describe: '10% off every tea, rounded to the nearest cent per line',
    apply(lines) {
      for (const l of lines) {
        if (CATALOG[l.sku].category === 'tea') l.discountCents = Math.round(l.lineCents / 10);
      }
    },
  },
  BEANS3FOR2: {
    describe: 'every third bag of coffee beans is free',
    apply(lines) {
      for (const l of lines) {
        if (l.sku === 'coffee-beans') l.discountCents = Math.floor(l.qty / 3) * l.unitCents;
      }
    },
  },
};

/** Checks the client's cart: a non-empty list of known SKUs and sane quantities. */
export function parseCart(lines: unknown): CartLine[] {
  if (!Array.isArray(lines) || lines.length === 0) throw new HttpError(400, 'lines must be a non-empty list');
  if (lines.length > MAX_LINES) throw new HttpError(400, `at most ${MAX_LINES} lines`);
  return lines.map((line, i): CartLine => {
    const { sku, qty } = (line ?? {}) as Partial<CartLine>;
    if (typeof sku !== 'string' || !Object.hasOwn(CATALOG, sku)) throw new HttpError(400, `lines[${i}]: unknown sku`);
    if (!Number.isInteger(qty) || (qty as number) < 1 || (qty as number) > MAX_QTY) {
      throw new HttpError(400, `lines[${i}]: qty must be an integer from 1 to ${MAX_QTY}`);
    }
    return { sku, qty: qty as number };
  });
}

/** Prices a cart with the catalog's prices and an optional promotion code. */
export function priceCart(cart: CartLine[], promo?: unknown): Priced {
  if (promo !== undefined && promo !== null && (typeof promo !== 'string' || !Object.hasOwn(PROMOTIONS, promo))) {
    throw new HttpError(400, 'unknown promotion code');
  }
  // The same SKU twice is one line: promotions count the whole quantity.
  const qty = new Map<string, number>();
  for (const l of cart) qty.set(l.sku, (qty.get(l.sku) ?? 0) + l.qty);
  const lines = [...qty].map(([sku, n]): PricedLine => {
    const p = CATALOG[sku];
    return { sku, name: p.name, qty: n, unitCents: p.unitCents, lineCents: n * p.unitCents, discountCents: 0 };
  });
  if (typeof promo === 'string') PROMOTIONS[promo].apply(lines);

  const subtotalCents = lines.reduce((s, l) => s + l.lineCents, 0);
  const discountCents = lines.reduce((s, l) => s + l.discountCents, 0);
  const shippingCents = subtotalCents - discountCents >= FREE_SHIPPING_FROM_CENTS ? 0 : SHIPPING_CENTS;
  return {
    currency: 'EUR',
    lines,
    promo: typeof promo === 'string' ? promo : null,
    subtotalCents,
    discountCents,
    shippingCents,
    totalCents: subtotalCents - discountCents + shippingCents,
  };
}
