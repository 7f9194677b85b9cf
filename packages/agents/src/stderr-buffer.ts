/** Keeps the last `maxBytes` of a child's stderr, redacted, so a failure can explain itself. */
export interface StderrBuffer {
  push(chunk: Buffer | string): void;
  /** The redacted tail (last `maxLines` lines). */
  tail(maxLines?: number): string;
}

const SECRET_PATTERNS: RegExp[] = [
  /\b(sk-[A-Za-z0-9_-]{8,})/g, // Anthropic/OpenAI style keys
  /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
  /\b((?:api[_-]?key|token|secret|password|authorization)["']?\s*[:=]\s*["']?)(?!Bearer\b)[^\s"',&]{4,}/gi,
  /([?&](?:token|key|code|secret)=)[^&\s]+/gi,
  /\b[a-f0-9]{64}\b/g, // Band tokenSecret shape
];

/** Replaces credentials that may appear in CLI output with `[redacted]`. */
export function redact(text: string): string {
  let out = text;
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (match, prefix?: string) =>
      typeof prefix === 'string' && prefix !== match && match.startsWith(prefix) ? `${prefix}[redacted]` : '[redacted]',
    );
  }
  return out;
}

export function createStderrBuffer(maxBytes = 16 * 1024): StderrBuffer {
  let buf = '';
  return {
    push(chunk) {
      buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      if (buf.length > maxBytes * 2) buf = buf.slice(-maxBytes);
    },
    tail(maxLines = 20) {
      const lines = buf.slice(-maxBytes).split('\n');
      if (lines.at(-1) === '') lines.pop();
      return redact(lines.slice(-maxLines).join('\n'));
    },
  };
}
