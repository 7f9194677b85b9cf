import { describe, expect, it } from 'vitest';
import { createLineSplitter } from '../src/line-splitter.js';

const texts = (lines: ReturnType<ReturnType<typeof createLineSplitter>['push']>) =>
  lines.map((l) => (l.kind === 'line' ? l.text : `<oversized ${l.line}>`));

describe('LineSplitter', () => {
  it('keeps a multi-byte character whole when a chunk boundary cuts through it', () => {
    const splitter = createLineSplitter();
    const bytes = Buffer.from('{"t":"héllo 🎉"}\n', 'utf8');
    const out = [];
    for (let i = 0; i < bytes.length; i++) out.push(...splitter.push(bytes.subarray(i, i + 1)));
    expect(texts(out)).toEqual(['{"t":"héllo 🎉"}']);
  });

  it('carries a partial line over to the next chunk and numbers lines from 1', () => {
    const splitter = createLineSplitter();
    expect(splitter.push('a\nb')).toEqual([{ kind: 'line', text: 'a', line: 1 }]);
    expect(splitter.push('c\r\nd')).toEqual([{ kind: 'line', text: 'bc', line: 2 }]);
    expect(splitter.end()).toEqual([{ kind: 'line', text: 'd', line: 3 }]);
  });

  it('drops a line longer than the limit without buffering it, and keeps counting', () => {
    const splitter = createLineSplitter({ maxLineChars: 10 });
    const out = [...splitter.push('short\n'), ...splitter.push('x'.repeat(8)), ...splitter.push('y'.repeat(50))];
    out.push(...splitter.push('z'.repeat(50) + '\nafter\n'));
    expect(texts(out)).toEqual(['short', '<oversized 2>', 'after']);
    const oversized = out[1]!;
    expect(oversized.kind === 'oversized' && oversized.bytes).toBe(108);
  });

  it('reports an oversized unterminated last line at end()', () => {
    const splitter = createLineSplitter({ maxLineChars: 4 });
    splitter.push('abcdefgh');
    expect(splitter.end()).toEqual([{ kind: 'oversized', line: 1, bytes: 8 }]);
  });
});
