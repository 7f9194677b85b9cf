import { describe, expect, it } from 'vitest';
import { redact } from '../src/index.js';
import { createStderrBuffer } from '../src/stderr-buffer.js';

describe('stderr tail', () => {
  it('redacts API keys, bearer tokens, key=value secrets, query tokens and 64-hex tokens', () => {
    const text = [
      'key sk-ant-api03-abcdefghijklmnop',
      'Authorization: Bearer abcdefghijklmnopqrstuvwxyz',
      'api_key=supersecretvalue token: "hunter22"',
      'GET https://x.test/cb?token=abc123&ok=1',
      `band ${'a1'.repeat(32)}`,
    ].join('\n');
    const out = redact(text);
    for (const secret of [
      'sk-ant-api03',
      'abcdefghijklmnopqrstuvwxyz',
      'supersecretvalue',
      'hunter22',
      'abc123',
      'a1a1a1a1',
    ])
      expect(out).not.toContain(secret);
    expect(out).toContain('Bearer [redacted]');
    expect(out).toContain('?token=[redacted]&ok=1');
  });

  it('keeps only the last lines and a bounded amount of bytes', () => {
    const buffer = createStderrBuffer(1024);
    for (let i = 0; i < 10_000; i++) buffer.push(`line ${i}\n`);
    expect(buffer.tail(3)).toBe('line 9997\nline 9998\nline 9999');
    buffer.push(Buffer.from('partial without newline'));
    expect(buffer.tail(1)).toBe('partial without newline');
  });
});
