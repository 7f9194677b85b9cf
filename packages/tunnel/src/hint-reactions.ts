import { type TunnelErrorCode, errorHints } from './errors.js';
import { LOCAL_AUTH_HINT } from './exit-classification.js';
import type { LogHint } from './log-parser.js';
import { type Machine, edgeFailureVerdict, isAuthRefused } from './state.js';

/**
 * What a live child's output has said so far: counted here, read by the exit classification and the metrics
 * poller. The supervisor keeps one per cloudflared process.
 */
export interface HintFacts {
  hints: Set<LogHint['kind']>;
  hintMessages: Map<LogHint['kind'], string>;
  registered: boolean;
  edgeErrors: number;
  lastEdgeError?: string;
  authFailures: number;
  /** A 429 / error 1015 was stated outright (not only inferred from an old build's bare line). */
  rateLimitCertain: boolean;
  /** `host:port` of cloudflared's metrics server, once it logged it. */
  metrics?: string;
  /** The URL from the banner, checked against `/quicktunnel`. */
  bannerUrl?: string;
}

/** What the supervisor does about one recognised line, in order. */
export type HintReaction =
  | { do: 'url'; url: string }
  /** Read the metrics server now (it says more than the line: the connection count, the hostname). */
  | { do: 'poll' }
  | { do: 'connection'; info: { index: number; id?: string; location?: string; protocol?: string } }
  | { do: 'disconnection'; info: { index?: number; reason: string } }
  /** Give up on this child: the machine kills it, then falls back to HTTP/2, retries or fails. */
  | { do: 'fail'; code: TunnelErrorCode; message: string; hint: string }
  | { do: 'warn'; message: string };

export interface HintContext {
  /** The machine as it is when the line arrives. */
  machine: Machine;
  edgeErrorsBeforeFallback: number;
  /** A locally managed named tunnel (credentials file) rather than a token. */
  local: boolean;
}

/**
 * Reads one hint from a live child's output: updates its facts and says what to do. Pure apart from `facts`,
 * so the policy (when QUIC counts as blocked, when a refused token is final) is table-tested with no process.
 */
export function reactToHint(facts: HintFacts, hint: LogHint, ctx: HintContext): HintReaction[] {
  facts.hints.add(hint.kind);
  if ('message' in hint) facts.hintMessages.set(hint.kind, hint.message);
  const poll: HintReaction[] = facts.metrics ? [{ do: 'poll' }] : [];
  switch (hint.kind) {
    case 'url':
      facts.bannerUrl = hint.url;
      return [{ do: 'url', url: hint.url }];
    case 'metrics':
      facts.metrics = hint.address;
      return [{ do: 'poll' }];
    case 'registered': {
      facts.registered = true;
      facts.edgeErrors = 0;
      const { index, id, location, protocol } = hint;
      return [{ do: 'connection', info: { index, id, location, protocol } }, ...poll];
    }
    case 'unregistered':
      return [{ do: 'disconnection', info: { index: hint.index, reason: 'unregistered' } }];
    case 'edge-error':
      return [
        ...(facts.registered
          ? [{ do: 'disconnection', info: { index: hint.index, reason: hint.message } } as const]
          : []),
        ...poll,
        ...edgeErrorReaction(facts, hint, ctx),
      ];
    case 'auth-failed':
      facts.authFailures++;
      if (!isAuthRefused(facts.authFailures)) return [];
      return [
        {
          do: 'fail',
          code: 'AUTH_FAILED',
          message: `Cloudflare refused the tunnel ${ctx.local ? 'credentials' : 'token'}: ${hint.message}`,
          hint: ctx.local ? LOCAL_AUTH_HINT : errorHints.AUTH_FAILED,
        },
      ];
    case 'rate-limited':
      if (hint.certain) facts.rateLimitCertain = true;
      return [];
    case 'origin-error':
      return [{ do: 'warn', message: `tunnel: origin unreachable: ${hint.message}` }];
    default:
      return [];
  }
}

function edgeErrorReaction(
  facts: HintFacts,
  hint: Extract<LogHint, { kind: 'edge-error' }>,
  ctx: HintContext,
): HintReaction[] {
  facts.edgeErrors++;
  facts.lastEdgeError = hint.message;
  const verdict = edgeFailureVerdict(
    ctx.machine,
    { registered: facts.registered, edgeErrors: facts.edgeErrors, quic: hint.quic },
    ctx.edgeErrorsBeforeFallback,
  );
  if (verdict === 'quic-blocked')
    return [
      {
        do: 'fail',
        code: 'EDGE_UNREACHABLE',
        message: `QUIC to the Cloudflare edge fails: ${hint.message}`,
        hint: 'UDP port 7844 looks blocked; retrying over HTTP/2 (TCP 7844).',
      },
    ];
  if (verdict === 'unreachable')
    return [
      {
        do: 'fail',
        code: 'EDGE_UNREACHABLE',
        message: `The Cloudflare edge cannot be reached: ${hint.message}`,
        hint: errorHints.EDGE_UNREACHABLE,
      },
    ];
  return [];
}
