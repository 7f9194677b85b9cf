// CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte escapes, and C1 CSI (0x9b): one alternative
// per line, joined with `|` (regex literals, so the escapes read as in the one-line pattern).
const ANSI_PATTERN = new RegExp(
  [
    /\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/.source, // OSC
    /\u001b\[[0-?]*[ -/]*[@-~]/.source, // CSI
    /\u009b[0-?]*[ -/]*[@-~]/.source, // C1 CSI
    /\u001b[PX^_][^\u001b]*\u001b\\/.source, // DCS, SOS, PM, APC strings
    /\u001b[@-Z\\-_]/.source, // other two-byte escapes
    /\u001b[ -/]+[0-~]/.source, // nF escapes
  ].join('|'),
  'g',
);

/** Removes ANSI escape sequences (colours, cursor moves, titles) from terminal output. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_PATTERN, '');
}

/**
 * Splits terminal output into display lines. A carriage return without a newline rewrites the line (progress bars),
 * so only what follows the last `\r` of a line is kept; remaining control characters except tab are dropped.
 */
export function toDisplayLines(text: string, { shouldStripAnsi }: { shouldStripAnsi: boolean }): string[] {
  const cleaned = shouldStripAnsi ? stripAnsi(text) : text;
  const lines = cleaned.split(/\r*\n/);
  return lines.map((line) => {
    const lastCr = line.lastIndexOf('\r');
    const visible = lastCr === -1 ? line : line.slice(lastCr + 1);
    return shouldStripAnsi ? visible.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '') : visible;
  });
}
