import { describe, expect, it } from 'vitest';
import { type TunnelErrorCode, errorHints } from './errors.js';
import { type ExitFacts, LOCAL_AUTH_HINT, classifyExit, classifyReadyTimeout } from './exit-classification.js';
import type { LogHint } from './log-parser.js';

type Kind = LogHint['kind'];

/** An exit with nothing in its output: code 1, quick tunnel, never connected. */
const facts = (patch: Partial<ExitFacts> & { seen?: Kind[]; said?: Partial<Record<Kind, string>> } = {}): ExitFacts => {
  const { seen = [], said = {}, ...rest } = patch;
  return {
    code: 1,
    signal: null,
    tail: ['INF Starting tunnel', 'ERR the last line'],
    hints: new Set<Kind>([...seen, ...(Object.keys(said) as Kind[])]),
    hintMessages: new Map(Object.entries(said) as [Kind, string][]),
    rateLimitCertain: false,
    edgeErrors: 0,
    registered: false,
    version: '2025.8.0',
    hasExtraArgs: false,
    local: false,
    ...rest,
  };
};

interface Row {
  name: string;
  exit: ExitFacts;
  code: TunnelErrorCode;
  message: RegExp;
  hint?: string | RegExp;
}

const rows: Row[] = [
  // How the process could not even start
  {
    name: 'setpriv could not execute cloudflared',
    exit: facts({ tail: ['setpriv: failed to execute /x/cloudflared: Permission denied'] }),
    code: 'BINARY_NOT_EXECUTABLE',
    message: /could not be executed: setpriv: failed/,
  },
  // Arguments
  {
    name: 'a usage line',
    exit: facts({ said: { usage: 'flag provided but not defined: -output' } }),
    code: 'USAGE',
    message: /cloudflared 2025\.8\.0 rejected its arguments \(exited with code 1\): flag provided but not defined/,
    hint: errorHints.USAGE,
  },
  {
    name: '`Incorrect Usage` with exit 0 (old builds)',
    exit: facts({ code: 0, tail: ['Incorrect Usage: flag provided but not defined: -token-file'] }),
    code: 'USAGE',
    message: /rejected its arguments \(exited with code 0\)/,
  },
  {
    name: '`Incorrect Usage` with another code is not enough',
    exit: facts({ code: 1, tail: ['Incorrect Usage: x'] }),
    code: 'CRASHED',
    message: /exited with code 1: Incorrect Usage/,
  },
  {
    name: 'a usage error with extraArgs points at them',
    exit: facts({ said: { usage: 'x' }, hasExtraArgs: true }),
    code: 'USAGE',
    message: /rejected/,
    hint: `${errorHints.USAGE} Check extraArgs too.`,
  },
  {
    name: 'a usage error before discovery names no version',
    exit: facts({ said: { usage: 'x' }, version: undefined }),
    code: 'USAGE',
    message: /^cloudflared rejected its arguments/,
  },
  // Credentials and tokens
  {
    name: 'a missing or broken credentials file',
    exit: facts({ said: { credentials: 'no such file' } }),
    code: 'CREDENTIALS_INVALID',
    message: /could not use the tunnel credentials \(exited with code 1\): no such file/,
  },
  {
    name: 'a refused token',
    exit: facts({ said: { 'auth-failed': 'Unauthorized' } }),
    code: 'AUTH_FAILED',
    message: /refused the tunnel token \(exited with code 1\): Unauthorized/,
    hint: errorHints.AUTH_FAILED,
  },
  {
    name: 'a refused credentials file (locally managed)',
    exit: facts({ said: { 'auth-failed': 'Unauthorized' }, local: true }),
    code: 'AUTH_FAILED',
    message: /refused the tunnel credentials/,
    hint: LOCAL_AUTH_HINT,
  },
  {
    name: 'exit code 255 alone',
    exit: facts({ code: 255 }),
    code: 'AUTH_FAILED',
    message: /exited with code 255\): ERR the last line/,
  },
  // The quick-tunnel API
  {
    name: 'a 429 stated outright',
    exit: facts({ rateLimitCertain: true, seen: ['rate-limited'] }),
    code: 'RATE_LIMITED',
    message: /rate-limited the quick tunnel request \(429, error 1015\)$/,
  },
  {
    name: 'a quick-tunnel API failure',
    exit: facts({ said: { 'quick-service-error': 'status_code="500"' } }),
    code: 'QUICK_SERVICE_ERROR',
    message: /The quick-tunnel API failed: status_code="500"/,
  },
  {
    name: 'a 429 inferred from an old build',
    exit: facts({ seen: ['rate-limited'], version: '2023.7.3' }),
    code: 'RATE_LIMITED',
    message: /reaches cloudflared 2023\.7\.3 \(older builds print no status\): ERR the last line/,
  },
  {
    name: 'a 429 inferred before discovery keeps single spaces',
    exit: facts({ seen: ['rate-limited'], version: undefined }),
    code: 'RATE_LIMITED',
    message: /reaches cloudflared \(older/,
  },
  // The network
  {
    name: 'the edge SRV lookup failed',
    exit: facts({ said: { 'edge-dns': 'edge discovery: error looking up Cloudflare edge IPs' } }),
    code: 'OFFLINE',
    message: /could not look up the Cloudflare edge in DNS: edge discovery/,
    hint: /_v2-origintunneld/,
  },
  {
    name: 'the quick-tunnel API is unreachable',
    exit: facts({ said: { offline: 'dial tcp: no route' } }),
    code: 'OFFLINE',
    message: /Cannot reach the quick-tunnel API: ERR the last line/,
    hint: errorHints.OFFLINE,
  },
  // Local trouble
  {
    name: 'the metrics port could not be bound',
    exit: facts({ seen: ['metrics-bind-failed'] }),
    code: 'METRICS_BIND_FAILED',
    message: /could not bind its metrics port/,
  },
  {
    name: 'a refused configuration',
    exit: facts({ said: { 'config-error': 'bad ingress' } }),
    code: 'CONFIG_ERROR',
    message: /refused its configuration: ERR the last line/,
  },
  { name: 'exit code 11 (self-update)', exit: facts({ code: 11 }), code: 'UPDATED', message: /updated itself/ },
  { name: 'an update line', exit: facts({ seen: ['updated'], code: 0 }), code: 'UPDATED', message: /updated itself/ },
  // The phase: edge errors matter only before the first connection
  {
    name: 'edge errors before the first connection',
    exit: facts({ edgeErrors: 3, lastEdgeError: 'failed to dial a quic connection' }),
    code: 'EDGE_UNREACHABLE',
    message: /gave up reaching the Cloudflare edge \(exited with code 1\): failed to dial/,
  },
  {
    name: 'edge errors after a connection are a crash',
    exit: facts({ edgeErrors: 3, registered: true }),
    code: 'CRASHED',
    message: /^cloudflared exited with code 1: ERR the last line$/,
  },
  // Crashes
  {
    name: 'a panic',
    exit: facts({ seen: ['panic'], code: 2 }),
    code: 'CRASHED',
    message: /^cloudflared panicked \(exited with code 2\)$/,
  },
  {
    name: 'killed by a signal',
    exit: facts({ code: null, signal: 'SIGKILL', tail: [] }),
    code: 'CRASHED',
    message: /^cloudflared was killed by SIGKILL$/,
  },
  {
    name: 'any other exit names its last non-blank line',
    exit: facts({ tail: ['ERR real cause', '  ', ''] }),
    code: 'CRASHED',
    message: /^cloudflared exited with code 1: ERR real cause$/,
  },
  // Precedence: what the output states outright wins over the exit code and over inferred causes
  {
    name: 'usage wins over a refused token',
    exit: facts({ said: { usage: 'x', 'auth-failed': 'y' } }),
    code: 'USAGE',
    message: /rejected its arguments/,
  },
  {
    name: 'a refused token wins over a 429',
    exit: facts({ said: { 'auth-failed': 'y' }, rateLimitCertain: true }),
    code: 'AUTH_FAILED',
    message: /refused the tunnel token/,
  },
  {
    name: 'a stated 429 wins over a quick-tunnel API failure',
    exit: facts({ said: { 'quick-service-error': 'x' }, rateLimitCertain: true }),
    code: 'RATE_LIMITED',
    message: /429, error 1015\)$/,
  },
  {
    name: 'an update wins over edge errors',
    exit: facts({ code: 11, edgeErrors: 2 }),
    code: 'UPDATED',
    message: /updated itself/,
  },
];

describe('classifyExit', () => {
  it.each(rows)('$name → $code', ({ exit, code, message, hint }) => {
    const error = classifyExit(exit);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    if (hint !== undefined) expect(error.hint).toEqual(typeof hint === 'string' ? hint : expect.stringMatching(hint));
    expect(error.exitCode).toBe(exit.code);
    expect(error.signal).toBe(exit.signal);
    expect(error.stderrTail).toEqual(exit.tail);
  });
});

describe('classifyReadyTimeout', () => {
  it.each([
    {
      name: 'edge errors seen → EDGE_UNREACHABLE',
      edgeErrors: 2,
      lastEdgeError: 'serve tunnel error',
      code: 'EDGE_UNREACHABLE',
      message: 'No edge connection within 45000 ms: serve tunnel error',
    },
    {
      name: 'edge errors without a message',
      edgeErrors: 1,
      lastEdgeError: undefined,
      code: 'EDGE_UNREACHABLE',
      message: 'No edge connection within 45000 ms:',
    },
    {
      name: 'nothing seen → READY_TIMEOUT',
      edgeErrors: 0,
      lastEdgeError: undefined,
      code: 'READY_TIMEOUT',
      message: 'cloudflared was not ready within 45000 ms',
    },
  ])('$name', ({ edgeErrors, lastEdgeError, code, message }) => {
    const error = classifyReadyTimeout({ tail: ['x'], edgeErrors, lastEdgeError }, 45_000);
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
    expect(error.hint).toBe(errorHints[code as TunnelErrorCode]);
    expect(error.stderrTail).toEqual(['x']);
  });
});
