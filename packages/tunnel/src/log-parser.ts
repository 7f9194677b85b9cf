import { StringDecoder } from 'node:string_decoder';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'panic' | 'unknown';

/** One cloudflared output line, parsed and redacted. */
export interface LogLine {
  /** Timestamp as printed (RFC3339), if any. */
  ts?: string;
  level: LogLevel;
  message: string;
  fields: Record<string, string | number | boolean | null>;
  /** The redacted raw line. */
  raw: string;
  stream: 'stdout' | 'stderr';
}

const TEXT_LEVELS: Record<string, LogLevel> = {
  TRC: 'trace',
  DBG: 'debug',
  INF: 'info',
  WRN: 'warn',
  ERR: 'error',
  FTL: 'fatal',
  PNC: 'panic',
  '???': 'unknown',
};
const JSON_LEVELS = new Set<LogLevel>(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'panic']);

// ANSI colour codes appear when cloudflared runs on a pty.
const ANSI = /\x1b\[[0-9;]*m/g;
const TEXT_LINE = /^(\d{4}-\d\d-\d\dT\S+) (TRC|DBG|INF|WRN|ERR|FTL|PNC|\?\?\?) ?(.*)$/;
/** Field names cloudflared prints; used to find where the message ends and the fields begin. */
const KNOWN_FIELDS = [
  'error',
  'connIndex',
  'connection',
  'event',
  'ip',
  'location',
  'protocol',
  'cfRay',
  'ingressRule',
  'originService',
  'status_code',
  'tunnelID',
  'version',
  'config',
  'autoupdateFreq',
  'dest',
  'type',
];
const FIELD = /(?:^| )([A-Za-z_][\w-]*)=("(?:[^"\\]|\\.)*"|\S*)/g;

/** Parse one line of cloudflared output (text or `--output json`). Never throws. */
export function parseLogLine(input: string, stream: 'stdout' | 'stderr' = 'stderr'): LogLine {
  const line = input.replace(ANSI, '');
  if (line.startsWith('{')) {
    try {
      const obj = JSON.parse(line) as Record<string, unknown>;
      if (obj && typeof obj === 'object' && typeof obj.level === 'string') {
        const level = JSON_LEVELS.has(obj.level as LogLevel) ? (obj.level as LogLevel) : 'unknown';
        const fields: LogLine['fields'] = {};
        for (const [k, v] of Object.entries(obj)) {
          if (k === 'level' || k === 'time' || k === 'message') continue;
          fields[k] =
            v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
              ? v
              : JSON.stringify(v);
        }
        return {
          ts: typeof obj.time === 'string' ? obj.time : undefined,
          level,
          message: typeof obj.message === 'string' ? obj.message : '',
          fields,
          raw: line,
          stream,
        };
      }
    } catch {
      // not JSON after all: fall through to the text grammar
    }
  }
  const m = TEXT_LINE.exec(line);
  if (!m) return { level: 'unknown', message: line, fields: {}, raw: line, stream };
  const [, ts, lvl, rest = ''] = m;
  // The field list starts at the first ` knownField=`; an empty message leaves a leading space.
  let cut = -1;
  for (const name of KNOWN_FIELDS) {
    const re = new RegExp(`(?:^| )${name}=`);
    const found = re.exec(rest);
    if (found && (cut === -1 || found.index < cut)) cut = found.index;
  }
  const message = (cut === -1 ? rest : rest.slice(0, cut)).trim();
  const fields: LogLine['fields'] = {};
  if (cut !== -1) {
    for (const f of rest.slice(cut).matchAll(FIELD)) {
      const key = f[1]!;
      let value: string | number = f[2] ?? '';
      if (value.startsWith('"')) {
        try {
          value = JSON.parse(value) as string;
        } catch {
          value = value.slice(1, -1);
        }
      } else if (/^-?\d+$/.test(value)) value = Number(value);
      fields[key] = value;
    }
  }
  return { ts, level: TEXT_LEVELS[lvl!] ?? 'unknown', message, fields, raw: line, stream };
}

/** What a line tells the supervisor. Logs are hints; the metrics server is the truth. */
export type LogHint =
  | { kind: 'url'; url: string }
  | { kind: 'metrics'; address: string }
  | { kind: 'registered'; index: number; id?: string; location?: string; protocol?: string }
  | { kind: 'unregistered'; index?: number }
  | { kind: 'edge-error'; quic: boolean; message: string; index?: number }
  /** The edge's SRV record could not be looked up: no network or no DNS (not a firewall). */
  | { kind: 'edge-dns'; message: string }
  /**
   * 429 / error 1015. `certain: false` when only the bare line of cloudflared < 2024.10 says so
   * (`invalid character 'e'`: the body was a Cloudflare `error code: …` page, which for this API is the
   * rate limit; a 5xx page of that shape is told apart by newer builds' `status_code`).
   */
  | { kind: 'rate-limited'; certain: boolean }
  | { kind: 'quick-service-error'; message: string }
  | { kind: 'offline'; message: string }
  | { kind: 'metrics-bind-failed' }
  | { kind: 'config-error'; message: string }
  | { kind: 'usage'; message: string }
  | { kind: 'auth-failed'; message: string }
  /** A locally managed tunnel's credentials file is missing or not JSON (cloudflared exits 1). */
  | { kind: 'credentials'; message: string }
  | { kind: 'origin-error'; message: string }
  | { kind: 'updated' }
  | { kind: 'panic' }
  | { kind: 'shutdown' }
  | { kind: 'named-config'; hostnames: string[] };

const BANNER_ROW = /^\|\s+(https:\/\/(?!api\.)[a-z0-9-]+(?:\.[a-z0-9-]+)*)\s+\|$/;
const METRICS = /Starting metrics server on (\S+)\/metrics/i;
const LEGACY_REGISTERED = /^Connection ([0-9a-f-]{36}) registered/i;
// Wording of edge trouble from 2022.x to 2026.x, matched case-insensitively: 2023.x–2025.2 say "Failed to
// create new quic connection", later builds "Failed to dial a quic connection", 2025.8 logs "failed to
// serve tunnel connection" in lower case (tunnel.md §1.6; the 2023.7.3 transcripts).
const EDGE_TROUBLE = new RegExp(
  '^(failed to (dial a quic connection|create new quic connection|serve tunnel connection|connect to edge)' +
    '|serve tunnel error|unable to establish connection with cloudflare edge|connection terminated)\\b',
  'i',
);
const QUICK_API_FAILED = new RegExp(
  'failed to (unmarshal|parse) quick tunnel|failed to read quick-tunnel response' + '|error unmarshaling quicktunnel',
  'i',
);
// cloudflared's words for a credentials file it cannot use (credential_finder.go, subcommand_context.go).
const CREDENTIALS_UNUSABLE = new RegExp(
  "^tunnel credentials file '.*' doesn't exist or is not a file|^tunnel credentials file not found" +
    "|^couldn't read tunnel credentials from|^invalid json when parsing tunnel credentials file" +
    '|^the tunnel credentials file should be \\.json',
  'i',
);
const EDGE_DNS =
  /edge discovery: error looking up cloudflare edge ips|could not lookup srv records on _v2-origintunneld/i;

/** Table-driven recognizers over a parsed line; returns every hint it carries. */
export function recognize(line: LogLine): LogHint[] {
  const hints: LogHint[] = [];
  const msg = line.message;
  const err = typeof line.fields.error === 'string' ? line.fields.error : '';
  const text = `${msg} ${err}`;
  const index = typeof line.fields.connIndex === 'number' ? line.fields.connIndex : undefined;
  const banner = BANNER_ROW.exec(msg);
  if (banner) hints.push({ kind: 'url', url: banner[1]! });
  const metrics = METRICS.exec(msg);
  if (metrics) hints.push({ kind: 'metrics', address: metrics[1]! });
  if (/^registered tunnel connection/i.test(msg) || LEGACY_REGISTERED.test(msg)) {
    const legacy = LEGACY_REGISTERED.exec(msg);
    const protocol = typeof line.fields.protocol === 'string' ? line.fields.protocol : /protocol: (\w+)/.exec(msg)?.[1];
    hints.push({
      kind: 'registered',
      index: typeof line.fields.connIndex === 'number' ? line.fields.connIndex : 0,
      id: typeof line.fields.connection === 'string' ? line.fields.connection : legacy?.[1],
      location: typeof line.fields.location === 'string' ? line.fields.location : undefined,
      protocol,
    });
  }
  if (/^unregistered tunnel connection/i.test(msg)) hints.push({ kind: 'unregistered', index });
  if (/register tunnel error from server side/i.test(msg) && /unauthorized/i.test(err))
    hints.push({ kind: 'auth-failed', message: err });
  else if (EDGE_DNS.test(text)) hints.push({ kind: 'edge-dns', message: err || msg });
  // Old builds (2022.4) give up on the edge themselves: `Initiating shutdown error="failed to dial to edge …"`.
  else if (EDGE_TROUBLE.test(msg) || (/^initiating shutdown$/i.test(msg) && /edge/i.test(err)))
    hints.push({ kind: 'edge-error', quic: /quic/i.test(text), message: err || msg, index });
  const quickApi = QUICK_API_FAILED.test(text);
  if (/status_code="?429|error code: 1015/i.test(line.raw)) hints.push({ kind: 'rate-limited', certain: true });
  else if (quickApi && /status_code=/i.test(line.raw)) hints.push({ kind: 'quick-service-error', message: msg || err });
  else if (quickApi && /invalid character 'e' looking for beginning of value/i.test(text))
    hints.push({ kind: 'rate-limited', certain: false });
  else if (quickApi) hints.push({ kind: 'quick-service-error', message: msg || err });
  if (/failed to request quick tunnel/i.test(text)) hints.push({ kind: 'offline', message: msg || err });
  if (/error opening metrics server listener/i.test(text)) hints.push({ kind: 'metrics-bind-failed' });
  if (/^couldn't start tunnel/i.test(msg)) hints.push({ kind: 'config-error', message: err || msg });
  if (/^incorrect usage|^you did not specify any valid additional argument/i.test(msg))
    hints.push({ kind: 'usage', message: msg });
  if (/provided tunnel token is not valid/i.test(msg)) hints.push({ kind: 'auth-failed', message: msg });
  if (CREDENTIALS_UNUSABLE.test(msg)) hints.push({ kind: 'credentials', message: msg });
  if (/unable to reach the origin service/i.test(text)) hints.push({ kind: 'origin-error', message: err || msg });
  if (/cloudflared has been updated to version/i.test(msg)) hints.push({ kind: 'updated' });
  if (/^panic: /.test(msg)) hints.push({ kind: 'panic' });
  if (/^initiating graceful shutdown/i.test(msg)) hints.push({ kind: 'shutdown' });
  if (msg === 'Updated to new configuration' && typeof line.fields.config === 'string') {
    try {
      const cfg = JSON.parse(line.fields.config) as { ingress?: { hostname?: string }[] };
      const hostnames = (cfg.ingress ?? []).flatMap((r) => (r.hostname ? [r.hostname] : []));
      hints.push({ kind: 'named-config', hostnames });
    } catch {
      // a malformed config line is only a hint; ignore it
    }
  }
  return hints;
}

/** Mask secrets before a line is stored, emitted or put into an error. */
export function redact(line: string, secrets: readonly string[] = []): string {
  let out = line;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[REDACTED]');
  return (
    out
      .replace(/([?&](?:token|code|pairing)=)[^&\s"]+/gi, '$1[REDACTED]')
      .replace(/(--token[= ])\S+/g, '$1[REDACTED]')
      .replace(/\b(TUNNEL_TOKEN[=:]\s*)\S+/g, '$1[REDACTED]')
      .replace(/\b(authorization|cookie|set-cookie)(["']?\s*[:=]\s*["']?)(?:bearer\s+)?[^\s"',;]+/gi, '$1$2[REDACTED]')
      // Long base64-like blobs (tokens, credentials). A run of punctuation such as the URL banner's
      // `+------+` border holds no secret and is kept.
      .replace(/[A-Za-z0-9+/=_-]{80,}/g, (run) => ((run.match(/[A-Za-z0-9]/g)?.length ?? 0) >= 40 ? '[REDACTED]' : run))
  );
}

/**
 * Splits a byte stream into lines: carry-over buffer, partial UTF-8 kept across chunks,
 * `\r\n` handled, overlong lines cut at `maxLineLength` so a runaway line cannot eat memory.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private carry = '';
  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineLength = 16_384,
  ) {}

  push(chunk: Buffer | string): void {
    this.carry += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let nl = this.carry.indexOf('\n');
    while (nl !== -1) {
      const line = this.carry.slice(0, nl).replace(/\r$/, '');
      this.carry = this.carry.slice(nl + 1);
      this.emit(line);
      nl = this.carry.indexOf('\n');
    }
    if (this.carry.length > this.maxLineLength) {
      this.emit(this.carry.slice(0, this.maxLineLength));
      this.carry = '';
    }
  }

  end(): void {
    this.carry += this.decoder.end();
    if (this.carry) this.emit(this.carry.replace(/\r$/, ''));
    this.carry = '';
  }

  private emit(line: string): void {
    this.onLine(line.length > this.maxLineLength ? line.slice(0, this.maxLineLength) : line);
  }
}

/** Fixed-size ring of redacted lines. */
export class LineRing {
  private readonly lines: string[] = [];
  constructor(private readonly size = 500) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.size) this.lines.shift();
  }
  tail(n = 20): string[] {
    return this.lines.slice(-n);
  }
  clear(): void {
    this.lines.length = 0;
  }
}
