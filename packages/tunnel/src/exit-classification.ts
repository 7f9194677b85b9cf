import { TunnelError, type TunnelErrorCode, errorHints } from './errors.js';
import type { HintFacts } from './hint-reactions.js';
import type { LogHint } from './log-parser.js';

/** A locally managed tunnel's credentials were refused: the token hint would send the user the wrong way. */
export const LOCAL_AUTH_HINT =
  'Cloudflare does not accept this credentials file for the tunnel (deleted tunnel, or a secret from ' +
  'another one): check `cloudflared tunnel list`, or recreate it with `cloudflared tunnel create`.';

const EDGE_DNS_HINT =
  'No network or no working DNS: cloudflared looks up the SRV record _v2-origintunneld._tcp.argotunnel.com ' +
  'to find the edge. Check the connection, the DNS resolver and any VPN.';

/**
 * Everything a cloudflared exit is judged by: how it ended, and what its output said before (the facts reactToHint
 * counted while it lived: the kinds of hint seen and the last message of each, a stated 429, the edge errors since
 * the last registered connection, whether one registered).
 */
export interface ExitFacts
  extends Readonly<
    Pick<HintFacts, 'hints' | 'hintMessages' | 'rateLimitCertain' | 'edgeErrors' | 'lastEdgeError' | 'registered'>
  > {
  code: number | null;
  signal: string | null;
  /** The child's redacted output, last lines last. */
  tail: string[];
  /** The cloudflared version that ran, once discovered. */
  version?: string;
  /** The caller passed `extraArgs` (a usage error may come from them). */
  hasExtraArgs: boolean;
  /** A locally managed tunnel (credentials file) rather than a token. */
  local: boolean;
}

/**
 * How an exit maps to an error code, first match wins. Outright statements in the output come before
 * the exit code, and an inferred cause (edge errors, a panic) before the bare `CRASHED`.
 */
export function classifyExit(f: ExitFacts): TunnelError {
  const { tail, code, signal } = f;
  const text = tail.join('\n');
  const lastLine = [...tail].reverse().find((l) => l.trim()) ?? '';
  const has = (k: LogHint['kind']) => f.hints.has(k);
  /** What the hint's own line said, else the last line. */
  const said = (k: LogHint['kind']) => f.hintMessages.get(k) ?? lastLine;
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  const make = (c: TunnelErrorCode, message: string, hint = errorHints[c]) =>
    new TunnelError(c, message, { stderrTail: tail, exitCode: code, signal, hint });
  if (/^setpriv: failed to execute/m.test(text))
    return make('BINARY_NOT_EXECUTABLE', `cloudflared could not be executed: ${lastLine}`);
  if (has('usage') || (code === 0 && /Incorrect Usage/.test(text)))
    return make(
      'USAGE',
      `cloudflared${f.version !== undefined ? ` ${f.version}` : ''} rejected its arguments (${how}): ${said('usage')}`,
      `${errorHints.USAGE}${f.hasExtraArgs ? ' Check extraArgs too.' : ''}`,
    );
  if (has('credentials'))
    return make(
      'CREDENTIALS_INVALID',
      `cloudflared could not use the tunnel credentials (${how}): ${said('credentials')}`,
    );
  if (has('auth-failed') || code === 255)
    return make(
      'AUTH_FAILED',
      `cloudflared refused the tunnel ${f.local ? 'credentials' : 'token'} (${how}): ${said('auth-failed')}`,
      f.local ? LOCAL_AUTH_HINT : errorHints.AUTH_FAILED,
    );
  if (f.rateLimitCertain)
    return make('RATE_LIMITED', 'trycloudflare.com rate-limited the quick tunnel request (429, error 1015)');
  if (has('quick-service-error'))
    return make('QUICK_SERVICE_ERROR', `The quick-tunnel API failed: ${said('quick-service-error')}`);
  if (has('rate-limited')) {
    const message =
      `trycloudflare.com answered the quick tunnel request with a Cloudflare "error code: …" page instead of JSON, ` +
      `which is how its rate limit (429, error 1015) reaches cloudflared ${f.version ?? ''} ` +
      `(older builds print no status): ${lastLine}`;
    return make('RATE_LIMITED', message.replace('  ', ' '));
  }
  if (has('edge-dns'))
    return make(
      'OFFLINE',
      `cloudflared could not look up the Cloudflare edge in DNS: ${said('edge-dns')}`,
      EDGE_DNS_HINT,
    );
  if (has('offline')) return make('OFFLINE', `Cannot reach the quick-tunnel API: ${lastLine}`);
  if (has('metrics-bind-failed'))
    return make('METRICS_BIND_FAILED', `cloudflared could not bind its metrics port: ${lastLine}`);
  if (has('config-error')) return make('CONFIG_ERROR', `cloudflared refused its configuration: ${lastLine}`);
  if (code === 11 || has('updated')) return make('UPDATED', 'cloudflared updated itself and exited (code 11)');
  if (f.edgeErrors > 0 && !f.registered)
    return make(
      'EDGE_UNREACHABLE',
      `cloudflared gave up reaching the Cloudflare edge (${how}): ${f.lastEdgeError ?? lastLine}`,
    );
  if (has('panic')) return make('CRASHED', `cloudflared panicked (${how})`);
  return make('CRASHED', `cloudflared ${how}${lastLine ? `: ${lastLine}` : ''}`);
}

/** A start that did not get ready in time: the edge errors seen, if any, say why. */
export function classifyReadyTimeout(
  f: Pick<ExitFacts, 'tail' | 'edgeErrors' | 'lastEdgeError'>,
  readyTimeoutMs: number,
): TunnelError {
  if (f.edgeErrors > 0)
    return new TunnelError(
      'EDGE_UNREACHABLE',
      `No edge connection within ${readyTimeoutMs} ms: ${f.lastEdgeError ?? ''}`.trim(),
      {
        hint: errorHints.EDGE_UNREACHABLE,
        stderrTail: f.tail,
      },
    );
  return new TunnelError('READY_TIMEOUT', `cloudflared was not ready within ${readyTimeoutMs} ms`, {
    hint: errorHints.READY_TIMEOUT,
    stderrTail: f.tail,
  });
}
