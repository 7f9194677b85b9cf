import { StringDecoder } from 'node:string_decoder';

/** What the splitter hands on: a complete line, or a notice that a line was too long and was dropped. */
export type SplitLine =
  | { kind: 'line'; text: string; line: number }
  | { kind: 'oversized'; line: number; bytes: number };

export interface LineSplitter {
  /** Feeds raw bytes (split anywhere, even inside a UTF-8 character); returns the lines completed by them. */
  push(chunk: Buffer | string): SplitLine[];
  /** Flushes a last line without a trailing newline. */
  end(): SplitLine[];
}

/**
 * Splits a byte stream into lines: a `StringDecoder` keeps multi-byte characters whole across chunks, a
 * carry-over buffer keeps partial lines, and a line longer than `maxLineChars` is dropped (reported once,
 * with its 1-based number) instead of growing memory without bound. `\r\n` endings are accepted.
 */
export function createLineSplitter(options: { maxLineChars?: number } = {}): LineSplitter {
  const max = options.maxLineChars ?? 64 * 1024 * 1024;
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let lineNo = 0;
  let dropping = false;
  let droppedChars = 0;

  function take(text: string, out: SplitLine[]) {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      const piece = text.slice(start, nl);
      start = nl + 1;
      lineNo++;
      if (dropping) {
        out.push({ kind: 'oversized', line: lineNo, bytes: droppedChars + piece.length });
        dropping = false;
        droppedChars = 0;
        carry = '';
        continue;
      }
      let line = carry + piece;
      carry = '';
      if (line.length > max) {
        out.push({ kind: 'oversized', line: lineNo, bytes: line.length });
        continue;
      }
      if (line.endsWith('\r')) line = line.slice(0, -1);
      out.push({ kind: 'line', text: line, line: lineNo });
    }
    const rest = text.slice(start);
    if (dropping) {
      droppedChars += rest.length;
    } else if (carry.length + rest.length > max) {
      dropping = true;
      droppedChars = carry.length + rest.length;
      carry = '';
    } else {
      carry += rest;
    }
  }

  return {
    push(chunk) {
      const out: SplitLine[] = [];
      take(typeof chunk === 'string' ? chunk : decoder.write(chunk), out);
      return out;
    },
    end() {
      const out: SplitLine[] = [];
      take(decoder.end(), out);
      if (dropping) {
        out.push({ kind: 'oversized', line: ++lineNo, bytes: droppedChars });
      } else if (carry.length > 0) {
        lineNo++;
        out.push({ kind: 'line', text: carry.endsWith('\r') ? carry.slice(0, -1) : carry, line: lineNo });
      }
      carry = '';
      dropping = false;
      return out;
    },
  };
}
