/** A byte-bounded buffer of the most recent terminal output. */
export interface Scrollback {
  push(chunk: Buffer): void;
  /** Everything kept, oldest first. */
  snapshot(): Buffer;
  readonly byteLength: number;
  /** True once older output was dropped to stay within the bound. */
  readonly isTruncated: boolean;
}

export function createScrollback(maxBytes: number): Scrollback {
  if (!Number.isInteger(maxBytes) || maxBytes <= 0)
    throw new TypeError(`scrollbackBytes must be a positive integer, got ${maxBytes}`);
  let chunks: Buffer[] = [];
  let byteLength = 0;
  let isTruncated = false;
  return {
    push(chunk) {
      if (chunk.length === 0) return;
      if (chunk.length >= maxBytes) {
        // Copy: the caller's buffer may be a view into a larger, reused allocation.
        chunks = [Buffer.from(chunk.subarray(chunk.length - maxBytes))];
        byteLength = maxBytes;
        isTruncated = true;
        return;
      }
      chunks.push(chunk);
      byteLength += chunk.length;
      while (byteLength > maxBytes) {
        const first = chunks[0]!;
        const excess = byteLength - maxBytes;
        if (first.length <= excess) {
          chunks.shift();
          byteLength -= first.length;
        } else {
          chunks[0] = first.subarray(excess);
          byteLength -= excess;
        }
        isTruncated = true;
      }
      // Many small chunks make snapshots slow; merge them now and then.
      if (chunks.length > 256) chunks = [Buffer.concat(chunks, byteLength)];
    },
    snapshot() {
      if (chunks.length === 1) return chunks[0]!;
      const merged = Buffer.concat(chunks, byteLength);
      chunks = byteLength ? [merged] : [];
      return merged;
    },
    get byteLength() {
      return byteLength;
    },
    get isTruncated() {
      return isTruncated;
    },
  };
}
