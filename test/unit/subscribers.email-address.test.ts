import { describe, expect, it } from 'vitest';
import { parseEmailAddress } from '../../src/subscribers/index.js';

describe('sign-up address validation', () => {
  it.each([
    ['reader@example.com', 'reader@example.com'],
    ['  Reader@Example.COM ', 'Reader@example.com'], // the domain is lowercased, the local part kept
    ['ada+news@sub.example.co.uk', 'ada+news@sub.example.co.uk'],
    ['leser@bücher.example', 'leser@xn--bcher-kva.example'],
    ['x@MÜNCHEN.de', 'x@xn--mnchen-3ya.de'],
    ['user%relay@example.com', 'user%relay@example.com'], // a '%' in the local part is legal and kept as typed
  ])('accepts %j as %j', (input, email) => {
    expect(parseEmailAddress(input)).toEqual({ ok: true, email });
  });

  it.each([
    ['', 'empty'],
    [undefined, 'empty'],
    ['plainaddress', 'invalid'],
    ['a@b', 'invalid'],
    ['@example.com', 'invalid'],
    ['reader@', 'invalid'],
    ['two@@example.com', 'invalid'],
    ['Reader <reader@example.com>', 'invalid'],
    ['üser@example.com', 'invalid'], // no UTF-8 local parts: most relays would refuse them
    ['reader@example.com\r\nBcc: victim@example.com', 'header_characters'],
    ['reader@example.com\n', 'header_characters'],
    ['read\u0000er@example.com', 'header_characters'],
    [`${'a'.repeat(65)}@example.com`, 'too_long'],
    [`a@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(10)}.com`, 'too_long'],
    ['x'.repeat(400), 'too_long'],
    // A URL host is percent-decoded: these would have been stored as a@localhost.com and reader@example.com.
    ['a@localhost%2ecom', 'encoded'],
    ['reader@ex%41mple.com', 'encoded'],
    ['reader@example.com%00', 'encoded'],
  ])('refuses %j (%s)', (input, problem) => {
    expect(parseEmailAddress(input)).toEqual({ ok: false, problem });
  });
});
