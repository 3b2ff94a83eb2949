// ms ships no types, and @types/ms would be a dependency for one function
// signature: this is the part the checkout uses.
declare module 'ms' {
  /** "15m" -> 900000; undefined for a string it cannot parse. */
  export default function ms(value: string): number | undefined;
}
