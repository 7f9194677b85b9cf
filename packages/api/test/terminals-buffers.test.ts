import { describe, expect, it } from 'vitest';
import { createScrollback } from '../src/terminals/scrollback.js';
import { stripAnsi, toDisplayLines } from '../src/terminals/strip-ansi.js';

describe('createScrollback', () => {
  it('keeps the most recent bytes within the bound, however the output is chunked', () => {
    const all = Buffer.from(Array.from({ length: 5000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join(''));
    for (const size of [1, 7, 100, 999, 1000, 4000]) {
      const scrollback = createScrollback(1000);
      for (let i = 0; i < all.length; i += size) scrollback.push(all.subarray(i, i + size));
      expect(scrollback.byteLength).toBe(1000);
      expect(scrollback.isTruncated).toBe(true);
      expect(scrollback.snapshot().equals(all.subarray(all.length - 1000))).toBe(true);
    }
  });

  it('is not truncated until it overflows, and ignores empty chunks', () => {
    const scrollback = createScrollback(10);
    scrollback.push(Buffer.alloc(0));
    scrollback.push(Buffer.from('hello'));
    expect(scrollback.snapshot().toString()).toBe('hello');
    expect(scrollback.isTruncated).toBe(false);
  });

  it('copies a chunk larger than the bound instead of keeping a view of it', () => {
    const scrollback = createScrollback(4);
    const chunk = Buffer.from('abcdefgh');
    scrollback.push(chunk);
    chunk.fill(0x7a);
    expect(scrollback.snapshot().toString()).toBe('efgh');
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => createScrollback(0)).toThrow(/scrollbackBytes/);
    expect(() => createScrollback(1.5)).toThrow(/scrollbackBytes/);
  });
});

describe('stripAnsi and toDisplayLines', () => {
  it.each([
    ['\u001b[31mred\u001b[0m', 'red'],
    ['\u001b[1;32;40mbold\u001b[m', 'bold'],
    ['\u001b]0;window title\u0007prompt', 'prompt'],
    ['\u001b]8;;https://x.test\u001b\\link\u001b]8;;\u001b\\', 'link'],
    ['\u001b[?2004hbracketed\u001b[?2004l', 'bracketed'],
    ['\u001b[2K\u001b[1Gline', 'line'],
    ['\u001b(Bascii', 'ascii'],
    ['plain ✓ text', 'plain ✓ text'],
  ])('strips %j', (input, output) => {
    expect(stripAnsi(input)).toBe(output);
  });

  it('keeps only the last rewrite of a carriage-returned line and drops stray control characters', () => {
    expect(toDisplayLines('10%\r50%\r100%\r\ndone\u0007\tok\r\n', { shouldStripAnsi: true })).toEqual([
      '100%',
      'done\tok',
      '',
    ]);
  });

  it('leaves escape sequences alone when asked to', () => {
    expect(toDisplayLines('\u001b[31mred\u001b[0m\r\n', { shouldStripAnsi: false })).toEqual([
      '\u001b[31mred\u001b[0m',
      '',
    ]);
  });
});
