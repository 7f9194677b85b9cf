// The only writer to stdout (results) and the writer of stderr (progress, hints, errors).
import type { OutputFormat } from './config.js';

export interface Sink {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

type Paint = (text: string) => string;
export interface Style {
  enabled: boolean;
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  cyan: Paint;
}

const identity: Paint = (text) => text;
const ansi =
  (open: number, close: number): Paint =>
  (text) =>
    `\u001b[${open}m${text}\u001b[${close}m`;

/** Colours only on a TTY, and never when NO_COLOR is set (https://no-color.org). */
export function colorEnabled(sink: Sink, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return sink.isTTY === true;
}

export function createStyle(enabled: boolean): Style {
  if (!enabled)
    return { enabled, bold: identity, dim: identity, red: identity, green: identity, yellow: identity, cyan: identity };
  return {
    enabled,
    bold: ansi(1, 22),
    dim: ansi(2, 22),
    red: ansi(31, 39),
    green: ansi(32, 39),
    yellow: ansi(33, 39),
    cyan: ansi(36, 39),
  };
}

export interface Column<T> {
  /** Printed in UPPERCASE. */
  header: string;
  value: (row: T) => string | number | null | undefined;
}

const ANSI_PATTERN = /\u001b\[[0-9;]*m/g;
const visibleLength = (text: string) => text.replace(ANSI_PATTERN, '').length;

/** Aligned columns separated by two spaces, UPPERCASE headers, no trailing spaces. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], style?: Style): string {
  const cells = rows.map((row) => columns.map((column) => cellText(column.value(row))));
  const headers = columns.map((column) => column.header.toUpperCase());
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...cells.map((row) => visibleLength(row[i] ?? ''))),
  );
  const line = (values: string[]) =>
    values
      .map((value, i) =>
        i === values.length - 1 ? value : value + ' '.repeat((widths[i] ?? 0) - visibleLength(value)),
      )
      .join('  ')
      .trimEnd();
  const head = line(headers);
  return [style ? style.bold(head) : head, ...cells.map(line)].join('\n') + '\n';
}

function cellText(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  return String(value).replace(/[\r\n\t]+/g, ' ');
}

export interface Output {
  readonly format: OutputFormat;
  readonly style: Style;
  /** Prints a result: exactly `data` as JSON under `--output json`, else `render(data)`. */
  print<T>(data: T, render: (data: T, style: Style) => string): void;
  /** Exactly `data` as pretty JSON; `newline: false` leaves out the trailing newline (for piping). */
  json(data: unknown, options?: { newline?: boolean }): void;
  /** One JSON value per line (streams). */
  jsonLine(data: unknown): void;
  /** Raw text (streamed agent or terminal output). */
  write(text: string): void;
  table<T>(rows: readonly T[], columns: readonly Column<T>[]): void;
}

export function createOutput(sink: Sink, format: OutputFormat, style: Style): Output {
  const write = (text: string) => {
    if (text) sink.write(text);
  };
  const json = (data: unknown, options: { newline?: boolean } = {}) =>
    write(JSON.stringify(data === undefined ? null : data, null, 2) + (options.newline === false ? '' : '\n'));
  return {
    format,
    style,
    print(data, render) {
      if (format === 'json') json(data);
      else write(render(data, style));
    },
    json,
    jsonLine: (data) => write(JSON.stringify(data === undefined ? null : data) + '\n'),
    write,
    table: (rows, columns) => write(renderTable(rows, columns, style)),
  };
}

export interface ErrOutput {
  readonly style: Style;
  /** Progress of a long operation (stderr). */
  progress(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  /** `error: …` and `hint: …`. */
  error(message: string, hint?: string): void;
  write(text: string): void;
}

export function createErrOutput(sink: Sink, style: Style): ErrOutput {
  const line = (text: string) => sink.write(`${text}\n`);
  return {
    style,
    progress: (message) => line(style.dim(message)),
    info: (message) => line(message),
    warn: (message) => line(`${style.yellow('warning:')} ${message}`),
    error(message, hint) {
      line(`${style.red('error:')} ${message}`);
      if (hint) line(`${style.cyan('hint:')} ${hint}`);
    },
    write: (text) => sink.write(text),
  };
}

/** "3m 42s", "2h 5m", "12s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${m % 60}m`;
}

/** "2026-11-24 23:04" in local time, or "-". */
export function formatTime(epochMs: number | null | undefined): string {
  if (epochMs === null || epochMs === undefined || !Number.isFinite(epochMs)) return '-';
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
