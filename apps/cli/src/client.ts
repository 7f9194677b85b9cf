// The tRPC client of the running Band server: queries and mutations over HTTP, subscriptions over WebSocket.
import type { AppRouter } from '@band/api';
import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  httpLink,
  isNonJsonSerializable,
  splitLink,
  type TRPCClient,
  TRPCClientError,
  wsLink,
} from '@trpc/client';
import WebSocket from 'ws';
import { type Connection, describeTokenSource } from './config.js';
import { authHeaders, wsUrl } from './transport.js';
import { CliError } from './errors.js';
export { pinConnection, verifyServer, verifyServerOnce } from './server-proof.js';

export type BandClient = TRPCClient<AppRouter>;

export const TRPC_HTTP_PATH = '/api/trpc';
export const TRPC_WS_PATH = '/api/trpc-ws';
export { authHeaders, wsUrl };

export interface BandClientHandle {
  client: BandClient;
  /** Closes the WebSocket (if one was opened). Idempotent. */
  close(): void;
}

export interface ConnectionEvents {
  /** The subscription socket dropped; the client reconnects and resumes from the last event. */
  onDisconnect?(): void;
  onReconnect?(): void;
  /**
   * The subscription socket could not be opened even once after several attempts (refused upgrade, wrong
   * Origin, no server): waiting longer would hang. `lastError` is the last socket error, e.g.
   * "Unexpected server response: 403".
   */
  onUnreachable?(lastError: string | undefined): void;
}

/** Failed attempts before the first successful open after which `onUnreachable` fires (~3 s of retries). */
export const MAX_INITIAL_WS_FAILURES = 5;

/** A `ws` WebSocket class that sends our headers on the upgrade (tRPC's wsClient only passes url + protocols). */
export function webSocketWithHeaders(
  headers: Record<string, string>,
  onSocketError?: (message: string) => void,
): typeof globalThis.WebSocket {
  class HeaderWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers, perMessageDeflate: false });
      if (onSocketError) this.on('error', (error: Error) => onSocketError(error.message));
    }
  }
  return HeaderWebSocket as unknown as typeof globalThis.WebSocket;
}

export function createBandClient(connection: Connection, events: ConnectionEvents = {}): BandClientHandle {
  const headers = authHeaders(connection);
  const { origin: _origin, ...httpHeaders } = headers;
  let wsClient: ReturnType<typeof createWSClient> | undefined;
  let wasOpen = false;
  let dropped = false;
  let initialFailures = 0;
  let lastSocketError: string | undefined;
  const getWsClient = () => {
    wsClient ??= createWSClient({
      url: wsUrl(connection.serverUrl, TRPC_WS_PATH),
      WebSocket: webSocketWithHeaders(headers, (message) => {
        lastSocketError = message;
      }),
      lazy: { enabled: true, closeMs: 0 },
      retryDelayMs: (attempt) => Math.min(200 * 2 ** attempt, 5_000),
      onOpen: () => {
        if (wasOpen && dropped) events.onReconnect?.();
        wasOpen = true;
        dropped = false;
      },
      onClose: () => {
        if (!wasOpen) {
          initialFailures += 1;
          if (initialFailures === MAX_INITIAL_WS_FAILURES) events.onUnreachable?.(lastSocketError);
          return;
        }
        if (!dropped) {
          dropped = true;
          events.onDisconnect?.();
        }
      },
    });
    return wsClient;
  };
  const client = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        // The WebSocket is created on the first subscription only.
        true: (runtime) => wsLink<AppRouter>({ client: getWsClient() })(runtime),
        // HTTP carries no Origin: a bearer call is not a browser's, and a foreign Origin would be refused.
        // Uploads (FormData) go unbatched through httpLink, the only link that sends a multipart body.
        false: splitLink({
          condition: (op) => isNonJsonSerializable(op.input),
          true: httpLink({ url: `${connection.serverUrl}${TRPC_HTTP_PATH}`, headers: () => httpHeaders }),
          false: httpBatchLink({ url: `${connection.serverUrl}${TRPC_HTTP_PATH}`, headers: () => httpHeaders }),
        }),
      }),
    ],
  });
  let closed = false;
  return {
    client,
    close() {
      if (closed) return;
      closed = true;
      void wsClient?.close();
    },
  };
}

function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 6; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const NOT_RUNNING_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
]);

/** The commands that start a server, for "server not running". */
export const START_HINT = 'Start it with `band start` (or `npm start` in the Band checkout)';

/** Why the subscription socket never opened, as a CliError. */
export function unreachableError(connection: Connection, lastError: string | undefined): CliError {
  const status = /Unexpected server response: (\d+)/.exec(lastError ?? '')?.[1];
  if (status === '401') {
    return new CliError(
      'UNAUTHORIZED',
      `The server at ${connection.serverUrl} refused ${describeTokenSource(connection.tokenSource)} ` +
        `for its event stream`,
    );
  }
  if (status === '403') {
    return new CliError(
      'ERROR',
      `The server at ${connection.serverUrl} refused the event stream (WebSocket, HTTP 403)`,
      {
        hint:
          `The server only accepts WebSockets whose Origin is its own address: ` +
          `set BAND_SERVER_URL to exactly the URL the server is reached at (now ${connection.serverUrl}).`,
      },
    );
  }
  if (lastError && /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH/.test(lastError)) {
    return new CliError('SERVER_NOT_RUNNING', `Band is not running at ${connection.serverUrl}`, {
      hint: `${START_HINT}.`,
    });
  }
  return new CliError(
    'ERROR',
    `Could not open the event stream ` +
      `at ${wsUrl(connection.serverUrl, TRPC_WS_PATH)}${lastError ? ` (${lastError})` : ''}`,
  );
}

/** Maps anything a tRPC call threw to a CliError with the right exit code and a next step. */
export function toCliError(error: unknown, connection: Connection): unknown {
  if (error instanceof CliError) return error;
  const net = networkErrorCode(error);
  if (net && NOT_RUNNING_CODES.has(net)) {
    return new CliError('SERVER_NOT_RUNNING', `Band is not running at ${connection.serverUrl} (${net})`, {
      hint:
        connection.serverUrlSource === 'BAND_SERVER_URL'
          ? `${START_HINT} on that machine, or check BAND_SERVER_URL.`
          : `${START_HINT}, or set BAND_SERVER_URL to the server's address.`,
      cause: error,
    });
  }
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? {}) as { code?: string; httpStatus?: number; hint?: string; reason?: string };
    const status = data.httpStatus ?? (error.meta?.response as { status?: number } | undefined)?.status;
    const hint = typeof data.hint === 'string' ? data.hint : undefined;
    if (data.code === 'UNAUTHORIZED' || status === 401) {
      return new CliError(
        'UNAUTHORIZED',
        `The server at ${connection.serverUrl} refused ${describeTokenSource(connection.tokenSource)}`,
        {
          hint:
            connection.tokenSource.kind === 'env'
              ? "Check BAND_TOKEN: it must equal tokenSecret in the server's settings.json."
              : "Set BAND_TOKEN to the server's tokenSecret, or point BAND_HOME at the server's home directory.",
          cause: error,
        },
      );
    }
    if (!data.code && status === 403) {
      // The gate (not tRPC) refused the request: e.g. a proxy that changed the Host.
      const body = error.meta?.responseJSON as { error?: unknown; reason?: unknown } | undefined;
      const reason =
        typeof body?.error === 'string' ? body.error : typeof body?.reason === 'string' ? body.reason : undefined;
      return new CliError(
        'ERROR',
        `The server at ${connection.serverUrl} refused the request (HTTP 403${reason ? `: ${reason}` : ''})`,
        {
          hint:
            'Set BAND_SERVER_URL to exactly the address the server is ' +
            'reached at (the local URL, or the https:// tunnel URL).',
          cause: error,
        },
      );
    }
    if (data.code === 'FORBIDDEN' || status === 403) {
      // Authenticated, but not allowed (e.g. a path outside the workspace, tokenSecret through the API).
      return new CliError('ERROR', error.message || 'Forbidden', { hint, cause: error });
    }
    if (data.code === 'NOT_FOUND') {
      // tRPC's own NOT_FOUND means the procedure does not exist: a server older than this CLI.
      if (/^No procedure found on path/.test(error.message)) {
        return new CliError('ERROR', `This server does not support that command (${error.message})`, {
          hint: 'Update the Band server.',
          cause: error,
        });
      }
      return new CliError('NOT_FOUND', error.message, { hint, cause: error });
    }
    if (
      data.code === 'BAD_REQUEST' ||
      data.code === 'PARSE_ERROR' ||
      data.code === 'CONFLICT' ||
      data.code === 'PRECONDITION_FAILED' ||
      data.code === 'PAYLOAD_TOO_LARGE'
    ) {
      return new CliError('VALIDATION', formatValidationMessage(error.message), { hint, cause: error });
    }
    if (status !== undefined && status >= 500 && !data.code) {
      return new CliError('ERROR', `The server at ${connection.serverUrl} answered HTTP ${status}`, { cause: error });
    }
    return new CliError('ERROR', error.message || 'Request failed', { hint, cause: error });
  }
  return error;
}

/** zod errors arrive as a JSON array of issues: show them as "field: message" lines. */
function formatValidationMessage(message: string): string {
  try {
    const issues = JSON.parse(message) as Array<{ path?: unknown[]; message?: string }>;
    if (Array.isArray(issues) && issues.length > 0) {
      const lines = issues.map((i) => `${(i.path ?? []).join('.') || 'input'}: ${i.message ?? 'invalid'}`);
      return `Invalid input: ${lines.join('; ')}`;
    }
  } catch {
    // not JSON: a plain message
  }
  return message;
}
