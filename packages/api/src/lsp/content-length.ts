// LSP base protocol framing on a byte stream: `Content-Length: N\r\n[other headers]\r\n\r\n<N bytes of UTF-8 JSON>`.
import { BandError } from '@band/internal';

/** Why a frame was dropped. The reader carries on with the next frame. */
export type FramingErrorCode = 'BAD_HEADER' | 'HEADER_TOO_LONG' | 'MESSAGE_TOO_LARGE' | 'BAD_JSON';

export class FramingError extends BandError<FramingErrorCode> {
  override readonly name = 'FramingError';
}

export interface MessageReaderOptions {
  onMessage(message: unknown): void;
  /** A malformed frame; never thrown. */
  onError?(error: FramingError): void;
  /** Larger bodies are skipped (their bytes are consumed, so framing stays in sync). @default 64 MiB */
  maxMessageBytes?: number;
  /** A header block longer than this is discarded. @default 8 KiB */
  maxHeaderBytes?: number;
}

export interface MessageReader {
  /** Feeds bytes; chunks may split anywhere, headers and multi-byte characters included. */
  push(chunk: Buffer): void;
}

const HEADER_END = Buffer.from('\r\n\r\n');

export function createMessageReader(options: MessageReaderOptions): MessageReader {
  const maxMessageBytes = options.maxMessageBytes ?? 64 * 1024 * 1024;
  const maxHeaderBytes = options.maxHeaderBytes ?? 8 * 1024;
  const fail = (code: FramingErrorCode, message: string) => options.onError?.(new FramingError(code, message));

  // header: collecting a header block; body: collecting `remaining` bytes; skip: discarding `remaining` bytes.
  let state: 'header' | 'body' | 'skip' = 'header';
  let header = Buffer.alloc(0);
  let body: Buffer[] = [];
  let bodyLength = 0;
  let remaining = 0;

  const parseHeader = (block: string): number | undefined => {
    let length: number | undefined;
    for (const line of block.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) {
        fail('BAD_HEADER', `malformed header line: ${JSON.stringify(line.slice(0, 80))}`);
        return undefined;
      }
      if (line.slice(0, colon).trim().toLowerCase() !== 'content-length') continue;
      const value = line.slice(colon + 1).trim();
      if (!/^\d{1,15}$/.test(value)) {
        fail('BAD_HEADER', `bad Content-Length: ${JSON.stringify(value.slice(0, 40))}`);
        return undefined;
      }
      length = Number(value);
    }
    if (length === undefined) fail('BAD_HEADER', 'header block without Content-Length');
    return length;
  };

  const finishBody = () => {
    const bytes = body.length === 1 ? body[0]! : Buffer.concat(body, bodyLength);
    body = [];
    bodyLength = 0;
    state = 'header';
    let message: unknown;
    try {
      message = JSON.parse(bytes.toString('utf8'));
    } catch {
      fail('BAD_JSON', `message body is not JSON (${bytes.length} bytes)`);
      return;
    }
    options.onMessage(message);
  };

  return {
    push(chunk) {
      let rest = chunk;
      // Bounded: every pass consumes at least one byte or returns.
      while (rest.length > 0) {
        if (state === 'header') {
          const joined = header.length ? Buffer.concat([header, rest]) : rest;
          // Tolerate blank lines between frames (some servers print a stray newline).
          let start = 0;
          while (start < joined.length && (joined[start] === 0x0d || joined[start] === 0x0a)) start++;
          const end = joined.indexOf(HEADER_END, start);
          if (end === -1) {
            if (joined.length - start > maxHeaderBytes) {
              fail('HEADER_TOO_LONG', `no header end within ${maxHeaderBytes} bytes`);
              // Keep the tail: the next header may have started inside it.
              header = Buffer.from(joined.subarray(joined.length - HEADER_END.length));
            } else {
              header = Buffer.from(joined.subarray(start));
            }
            return;
          }
          header = Buffer.alloc(0);
          const length = parseHeader(joined.subarray(start, end).toString('latin1'));
          rest = joined.subarray(end + HEADER_END.length);
          if (length === undefined) continue;
          if (length > maxMessageBytes) {
            fail('MESSAGE_TOO_LARGE', `message of ${length} bytes exceeds ${maxMessageBytes}`);
            state = 'skip';
            remaining = length;
            continue;
          }
          state = 'body';
          remaining = length;
          if (length === 0) finishBody();
          continue;
        }
        const take = Math.min(remaining, rest.length);
        if (state === 'body') {
          body.push(Buffer.from(rest.subarray(0, take)));
          bodyLength += take;
        }
        remaining -= take;
        rest = rest.subarray(take);
        if (remaining === 0) {
          if (state === 'body') finishBody();
          else state = 'header';
        }
      }
    },
  };
}

/** Frames one message for a language server's stdin. */
export function encodeMessage(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]);
}
