import { test } from 'node:test';
import assert from 'node:assert/strict';

import { FREE_SHIPPING_FROM_CENTS, SHIPPING_CENTS, parseCart, priceCart } from '../src/pricing';
import { HttpError } from '../shared/index.mjs';

test('prices a cart from the catalog, with shipping under the free threshold', () => {
  const p = priceCart(parseCart([{ sku: 'tea-earl-grey', qty: 2 }, { sku: 'tea-sencha', qty: 1 }]));
  assert.equal(p.subtotalCents, 2 * 450 + 620);
  assert.equal(p.discountCents, 0);
  assert.equal(p.shippingCents, SHIPPING_CENTS);
  assert.equal(p.totalCents, 1520 + SHIPPING_CENTS);
  assert.equal(p.promo, null);
  assert.deepEqual(
    p.lines.map((l) => [l.sku, l.qty, l.lineCents]),
    [
      ['tea-earl-grey', 2, 900],
      ['tea-sencha', 1, 620],
    ],
  );
});

test('TEA10 takes 10% off tea lines only, rounded per line', () => {
  const p = priceCart(parseCart([{ sku: 'tea-sencha', qty: 3 }, { sku: 'kettle', qty: 1 }]), 'TEA10');
  // 3 * 620 = 1860 -> 186 off; the kettle is not tea.
  assert.equal(p.discountCents, 186);
  assert.equal(p.subtotalCents, 1860 + 3490);
  assert.equal(p.shippingCents, 0, `${1860 + 3490 - 186} is over ${FREE_SHIPPING_FROM_CENTS}`);
  assert.equal(p.totalCents, 1860 + 3490 - 186);
});

test('BEANS3FOR2 counts the same SKU across lines', () => {
  const p = priceCart(
    parseCart([
      { sku: 'coffee-beans', qty: 2 },
      { sku: 'coffee-beans', qty: 5 },
    ]),
    'BEANS3FOR2',
  );
  assert.equal(p.lines.length, 1);
  assert.equal(p.lines[0].qty, 7);
  assert.equal(p.discountCents, 2 * 1190);
});

test('shipping is free from the threshold after discounts', () => {
  // 5 * 1190 = 5950, minus one free bag = 4760: under 5000 again.
  const p = priceCart(parseCart([{ sku: 'coffee-beans', qty: 5 }]), 'BEANS3FOR2');
  assert.equal(p.shippingCents, SHIPPING_CENTS);
  assert.equal(priceCart(parseCart([{ sku: 'coffee-beans', qty: 5 }])).shippingCents, 0);
});

test('refuses bad carts and unknown promotion codes with 400', () => {
  const bad: [unknown, unknown, string][] = [
    [[], undefined, 'lines must be a non-empty list'],
    ['tea', undefined, 'lines must be a non-empty list'],
    [[{ sku: 'caviar', qty: 1 }], undefined, 'lines[0]: unknown sku'],
    [[{ sku: 'toString', qty: 1 }], undefined, 'lines[0]: unknown sku'],
    [[{ sku: 'kettle', qty: 0 }], undefined, 'lines[0]: qty must be an integer from 1 to 99'],
    [[{ sku: 'kettle', qty: 1.5 }], undefined, 'lines[0]: qty must be an integer from 1 to 99'],
    [[null], undefined, 'lines[0]: unknown sku'],
    [[{ sku: 'kettle', qty: 1 }], 'FREE', 'unknown promotion code'],
    [[{ sku: 'kettle', qty: 1 }], 10, 'unknown promotion code'],
  ];
  for (const [lines, promo, message] of bad) {
    assert.throws(
      () => priceCart(parseCart(lines), promo),
      (err: unknown) => err instanceof HttpError && err.statusCode === 400 && err.message === message,
      JSON.stringify([lines, promo]),
    );
  }
});
