import { BandApiError } from '../errors.js';
import { isNotFound } from '../internal/socket-caps.js';
import { silentLogger, type Logger } from '../internal/logger.js';
import { LSP_ERROR, type LspClientHandle } from './lsp-multiplexer.js';
import type { LspService } from './lsp-service.js';
import { admitSocket, SOCKET_CLOSE, type SocketBudget } from '../internal/socket-caps.js';
import { pathPattern, type SocketRoute } from '../internal/upgrade-router.js';

export const LSP_WS_PATH = '/api/lsp/:workspaceId/:language';
/** `didOpen` carries whole files; a generated bundle can be large (auth.md §3.6: per-route override for LSP). */
export const LSP_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** What a client may send before its language server is attached (queued until then). */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;

export interface LspSocketOptions {
  lsp: LspService;
  sockets: SocketBudget;
  /** @default 25_000 */
  heartbeatMs?: number;
  logger?: Logger;
}

/**
 * The `/api/lsp/<workspaceId>/<language>` endpoint: one JSON-RPC message per text frame, both ways.
 * Messages sent before the server is attached are queued, so a client may send `initialize` right after `open`.
 */
export function createLspSocketRoute(options: LspSocketOptions): SocketRoute {
  const logger = options.logger ?? silentLogger;
  const heartbeatMs = options.heartbeatMs ?? 25_000;
  return {
    match: pathPattern(LSP_WS_PATH),
    maxPayloadBytes: LSP_MAX_MESSAGE_BYTES,
    onConnection(ws, params, principal) {
      if (!admitSocket(ws, principal, { sockets: options.sockets, heartbeatMs, logger, label: 'lsp' })) return;
      const send = (message: object) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
      };

      let handle: LspClientHandle | undefined;
      let isClosed = false;
      const queued: unknown[] = [];
      let queuedBytes = 0;
      ws.on('message', (data, isBinary) => {
        if (isBinary) {
          send({
            jsonrpc: '2.0',
            id: null,
            error: { code: LSP_ERROR.INVALID_REQUEST, message: 'send JSON-RPC messages as text frames' },
          });
          return;
        }
        const text = (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)).toString('utf8');
        let message: unknown;
        try {
          message = JSON.parse(text);
        } catch {
          send({ jsonrpc: '2.0', id: null, error: { code: LSP_ERROR.PARSE_ERROR, message: 'Parse error' } });
          return;
        }
        if (handle) handle.receive(message);
        else {
          // Before the server is attached, at most MAX_QUEUED_BYTES are held for it; a client that sends more is cut.
          queuedBytes += text.length;
          if (queuedBytes > MAX_QUEUED_BYTES) {
            ws.close(
              SOCKET_CLOSE.TOO_BIG,
              `More than ${MAX_QUEUED_BYTES / 1024 / 1024} MiB sent before the language server was ready`,
            );
            return;
          }
          queued.push(message);
        }
      });
      ws.once('close', () => {
        isClosed = true;
        handle?.detach();
      });

      options.lsp
        .connect(params.workspaceId!, params.language!, {
          send,
          // The server is not reading its input: stop reading this socket (TCP then slows the client down).
          pause: () => ws.pause(),
          resume: () => ws.resume(),
          close(reason) {
            ws.close(SOCKET_CLOSE.NORMAL, reason.slice(0, 120));
          },
        })
        .then(({ handle: attached, info }) => {
          if (isClosed) {
            attached.detach();
            return;
          }
          handle = attached;
          send({ jsonrpc: '2.0', method: 'band/attached', params: info });
          for (const message of queued.splice(0)) attached.receive(message);
        })
        .catch((error: unknown) => {
          const isMissing = isNotFound(error);
          if (!isMissing) logger.warn(`lsp ${params.workspaceId}/${params.language}: ${(error as Error).message}`);
          // Close reasons are limited to 123 bytes.
          const reason = error instanceof BandApiError ? error.message.slice(0, 120) : 'language server unavailable';
          ws.close(isMissing ? SOCKET_CLOSE.NOT_FOUND : SOCKET_CLOSE.POLICY, reason);
        });
    },
  };
}
