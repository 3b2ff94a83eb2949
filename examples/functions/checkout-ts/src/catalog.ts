import type { Product } from './types';

// The shop's price list. A real one would live in a table; the point here is
// that prices come from the server, never from the cart the client sends.
export const CATALOG: Readonly<Record<string, Product>> = {
  'tea-earl-grey': { name: 'Earl Grey, 100 g', unitCents: 450, category: 'tea' },
  'tea-sencha': { name: 'Sencha, 100 g', unitCents: 620, category: 'tea' },
  'coffee-beans': { name: 'Coffee beans, 250 g', unitCents: 1190, category: 'coffee' },
  kettle: { name: 'Gooseneck kettle', unitCents: 3490, category: 'gear' },
};
