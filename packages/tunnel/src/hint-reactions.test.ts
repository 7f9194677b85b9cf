import { describe, expect, it } from 'vitest';
import { errorHints } from './errors.js';
import { LOCAL_AUTH_HINT } from './exit-classification.js';
import { type HintContext, type HintFacts, type HintReaction, reactToHint } from './hint-reactions.js';
import type { LogHint } from './log-parser.js';
import { type EdgeProtocol, type Machine, type TunnelState, createMachine } from './state.js';

const starting: TunnelState = { s: 'starting', generation: 1, attempt: 0 };
const ready: TunnelState = { s: 'ready', generation: 1, url: 'https://a.trycloudflare.com', connections: 1, since: 0 };
const machine = (state: TunnelState, protocol?: EdgeProtocol): Machine => ({
  ...createMachine('quick'),
  generation: 1,
  state,
  ...(protocol ? { protocol } : {}),
});
const facts = (patch: Partial<HintFacts> = {}): HintFacts => ({
  hints: new Set(),
  hintMessages: new Map(),
  registered: false,
  edgeErrors: 0,
  authFailures: 0,
  rateLimitCertain: false,
  ...patch,
});
const quicError: LogHint = { kind: 'edge-error', quic: true, message: 'failed to dial to edge with quic', index: 0 };
const h2Error: LogHint = { kind: 'edge-error', quic: false, message: 'connection refused', index: 0 };
const refused: LogHint = { kind: 'auth-failed', message: 'Unauthorized: Invalid tunnel secret' };

interface Row {
  name: string;
  facts?: Partial<HintFacts>;
  hint: LogHint;
  ctx?: Partial<HintContext>;
  /** The reactions, in order. */
  reactions: HintReaction[];
  /** The facts afterwards (only the fields named). */
  after?: Partial<HintFacts>;
}

const rows: Row[] = [
  {
    name: 'the banner URL is announced and kept for the hostname check',
    hint: { kind: 'url', url: 'https://a.trycloudflare.com' },
    reactions: [{ do: 'url', url: 'https://a.trycloudflare.com' }],
    after: { bannerUrl: 'https://a.trycloudflare.com' },
  },
  {
    name: 'the metrics address starts polling at once',
    hint: { kind: 'metrics', address: '127.0.0.1:20241' },
    reactions: [{ do: 'poll' }],
    after: { metrics: '127.0.0.1:20241' },
  },
  {
    name: 'a registered connection resets the edge-error count and is announced; no poll without metrics',
    facts: { edgeErrors: 2 },
    hint: { kind: 'registered', index: 0, location: 'ams01', protocol: 'quic' },
    reactions: [{ do: 'connection', info: { index: 0, id: undefined, location: 'ams01', protocol: 'quic' } }],
    after: { registered: true, edgeErrors: 0 },
  },
  {
    name: 'a registered connection with metrics known also polls (the count is in the metrics)',
    facts: { metrics: '127.0.0.1:20241' },
    hint: { kind: 'registered', index: 1 },
    reactions: [{ do: 'connection', info: { index: 1 } }, { do: 'poll' }],
  },
  {
    name: 'an unregistered connection is a disconnection',
    hint: { kind: 'unregistered', index: 2 },
    reactions: [{ do: 'disconnection', info: { index: 2, reason: 'unregistered' } }],
  },
  {
    name: 'one QUIC failure while starting is counted, not judged',
    hint: quicError,
    reactions: [],
    after: { edgeErrors: 1, lastEdgeError: 'failed to dial to edge with quic' },
  },
  {
    name: 'QUIC failing edgeErrorsBeforeFallback times while starting: blocked UDP, fail so the machine uses HTTP/2',
    facts: { edgeErrors: 2 },
    hint: quicError,
    ctx: { edgeErrorsBeforeFallback: 3 },
    reactions: [
      {
        do: 'fail',
        code: 'EDGE_UNREACHABLE',
        message: 'QUIC to the Cloudflare edge fails: failed to dial to edge with quic',
        hint: 'UDP port 7844 looks blocked; retrying over HTTP/2 (TCP 7844).',
      },
    ],
    after: { edgeErrors: 3 },
  },
  {
    name: 'HTTP/2 failing twice the fallback count: the edge is unreachable',
    facts: { edgeErrors: 5 },
    hint: h2Error,
    ctx: { machine: machine(starting, 'http2'), edgeErrorsBeforeFallback: 3 },
    reactions: [
      {
        do: 'fail',
        code: 'EDGE_UNREACHABLE',
        message: 'The Cloudflare edge cannot be reached: connection refused',
        hint: errorHints.EDGE_UNREACHABLE,
      },
    ],
  },
  {
    name: 'edge errors once connected: a disconnection and a poll, never a verdict (cloudflared reconnects itself)',
    facts: { registered: true, edgeErrors: 10, metrics: '127.0.0.1:20241' },
    hint: quicError,
    ctx: { machine: machine(ready) },
    reactions: [
      { do: 'disconnection', info: { index: 0, reason: 'failed to dial to edge with quic' } },
      { do: 'poll' },
    ],
    after: { edgeErrors: 11 },
  },
  {
    name: 'a refused token is counted: one may be a blip at the edge',
    hint: refused,
    reactions: [],
    after: { authFailures: 1 },
  },
  {
    name: 'the third refusal of a token fails with the token hint',
    facts: { authFailures: 2 },
    hint: refused,
    reactions: [
      {
        do: 'fail',
        code: 'AUTH_FAILED',
        message: 'Cloudflare refused the tunnel token: Unauthorized: Invalid tunnel secret',
        hint: errorHints.AUTH_FAILED,
      },
    ],
    after: { authFailures: 3 },
  },
  {
    name: 'the third refusal of a credentials file names the credentials and their fix',
    facts: { authFailures: 2 },
    hint: refused,
    ctx: { local: true },
    reactions: [
      {
        do: 'fail',
        code: 'AUTH_FAILED',
        message: 'Cloudflare refused the tunnel credentials: Unauthorized: Invalid tunnel secret',
        hint: LOCAL_AUTH_HINT,
      },
    ],
  },
  {
    name: 'a stated 429 is remembered for the exit classification',
    hint: { kind: 'rate-limited', certain: true },
    reactions: [],
    after: { rateLimitCertain: true },
  },
  {
    name: "an old build's bare rate-limit line is not certain",
    hint: { kind: 'rate-limited', certain: false },
    reactions: [],
    after: { rateLimitCertain: false },
  },
  {
    name: 'an unreachable origin is a warning, not a tunnel failure',
    hint: { kind: 'origin-error', message: 'dial tcp 127.0.0.1:3456: connect: connection refused' },
    reactions: [
      { do: 'warn', message: 'tunnel: origin unreachable: dial tcp 127.0.0.1:3456: connect: connection refused' },
    ],
  },
  {
    name: 'a panic is only remembered (the exit says what it means)',
    hint: { kind: 'panic' },
    reactions: [],
    after: { hints: new Set(['panic']) },
  },
];

describe('reactToHint: what one line from a live cloudflared means', () => {
  it.each(rows)('$name', (row) => {
    const f = facts(row.facts);
    const ctx: HintContext = { machine: machine(starting), edgeErrorsBeforeFallback: 3, local: false, ...row.ctx };
    expect(reactToHint(f, row.hint, ctx)).toEqual(row.reactions);
    if (row.after) expect(f).toMatchObject(row.after);
  });

  it('remembers every kind it saw, and the message of each, for the exit classification', () => {
    const f = facts();
    const ctx: HintContext = { machine: machine(starting), edgeErrorsBeforeFallback: 3, local: false };
    reactToHint(f, { kind: 'config-error', message: 'error parsing YAML' }, ctx);
    reactToHint(f, { kind: 'config-error', message: 'no ingress rules' }, ctx);
    reactToHint(f, { kind: 'updated' }, ctx);
    expect([...f.hints]).toEqual(['config-error', 'updated']);
    expect(f.hintMessages.get('config-error')).toBe('no ingress rules');
  });
});
