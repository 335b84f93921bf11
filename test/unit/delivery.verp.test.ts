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

  it('gives a delivery the same Message-ID every time', () => {
    expect(deliveryMessageId(7, 3, 'example.com')).toBe(deliveryMessageId(7, 3, 'example.com'));
    expect(deliveryMessageId(7, 3, addressDomain('Daily Digest <digest@News.Example.com>'))).toBe('<digest.3.7@news.example.com>');
  });
});
