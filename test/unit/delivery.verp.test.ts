import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressDomain, deliveryMessageId, parseVerpAddress, verpAddress } from '../../src/delivery/index.js';

describe('VERP addresses and Message-IDs', () => {
  it.each([
    ['bounces@example.com', 42, 'bounces+42@example.com'],
    ['b@mail.example.org', 1, 'b+1@mail.example.org'],
  ])('%s for delivery %i is %s and parses back', (base, id, address) => {
    expect(verpAddress(base, id)).toBe(address);
    expect(parseVerpAddress(base, address)).toBe(id);
    expect(parseVerpAddress(base, `<${address.toUpperCase()}>`)).toBe(id);
  });

  it.each(['bounces@example.com', 'other+42@example.com', 'bounces+42@evil.example', 'bounces+x@example.com', 'bounces+0@example.com'])(
    'refuses %s',
    (address) => expect(parseVerpAddress('bounces@example.com', address)).toBeUndefined(),
  );

  it('gives a delivery the same Message-ID every time, and another install another one', () => {
    const install = '0123456789abcdef';
    expect(deliveryMessageId(7, 3, 'example.com', install)).toBe(deliveryMessageId(7, 3, 'example.com', install));
    expect(deliveryMessageId(7, 3, addressDomain('Daily Digest <digest@News.Example.com>'), install)).toBe(
      '<digest.3.7.0123456789abcdef@news.example.com>',
    );
    expect(deliveryMessageId(7, 3, 'example.com', 'fedcba9876543210')).not.toBe(deliveryMessageId(7, 3, 'example.com', install));
    expect(() => deliveryMessageId(7, 3, 'example.com', '')).toThrow(/install id/);
  });

  it('keeps every delivery of every edition apart (no two (edition, delivery) pairs share an id)', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.nat(), fc.nat(), (e1, d1, e2, d2) => {
        fc.pre(e1 !== e2 || d1 !== d2);
        expect(deliveryMessageId(d1, e1, 'x.example', '0123456789abcdef')).not.toBe(
          deliveryMessageId(d2, e2, 'x.example', '0123456789abcdef'),
        );
      }),
    );
  });
});
