/** IPv4 CIDR arithmetic for the cross-field checks. Inputs are already validated by the schema. */

export interface Cidr {
  readonly text: string;
  /** First address as an unsigned 32-bit integer. */
  readonly start: number;
  /** Last address as an unsigned 32-bit integer. */
  readonly end: number;
  readonly prefix: number;
}

export function parseCidr(text: string): Cidr {
  const [address, bits] = text.split('/');
  const prefix = Number(bits);
  const start = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const size = 2 ** (32 - prefix);
  return { text, start, end: start + size - 1, prefix };
}

/** True when the address is the first of its block, e.g. 10.0.1.0/24 but not 10.0.1.5/24. */
export function isNetworkAddress(c: Cidr): boolean {
  return c.start % 2 ** (32 - c.prefix) === 0;
}

/** The first host address of a block, e.g. 172.20.0.1 for 172.20.0.0/16. */
export function firstHostAddress(c: Cidr): string {
  const n = c.start + 1;
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.start >= outer.start && inner.end <= outer.end;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.start <= b.end && b.start <= a.end;
}
