import type { WebSocket } from 'ws';
import { BandApiError } from '../errors.js';
import { isNotFound } from '../internal/socket-caps.js';
import { silentLogger, type Logger } from '../internal/logger.js';
import type { TerminalAttachment, TerminalInfo, TerminalService } from './terminal-types.js';
import { admitSocket, SOCKET_CLOSE, type SocketBudget } from '../internal/socket-caps.js';
import { pathPattern, type SocketRoute } from '../internal/upgrade-router.js';

export const TERMINALS_WS_PATH = '/api/terminals/:id';

/** Messages a client sends as JSON text frames. A binary frame is raw input bytes. */
export type TerminalClientMessage = { type: 'input'; data: string } | { type: 'resize'; cols: number; rows: number };

/** Messages the server sends as JSON text frames. Output itself is binary frames. */
export type TerminalServerMessage =
  /** First message: the terminal, and how many bytes of scrollback the next binary frame replays (0: none follows). */
  | { type: 'attached'; terminal: TerminalInfo; replayBytes: number }
  /** The terminal was resized (by any viewer or the API). */
  | { type: 'resize'; cols: number; rows: number }
  /** The shell ended; the server closes the socket next (1000, or 4410 when killed). */
  | { type: 'exit'; exitCode?: number; signal?: number; wasKilled: boolean }
  /** A message was refused; the socket stays open. */
  | { type: 'error'; code: string; message: string };

export interface TerminalSocketOptions {
  terminals: TerminalService;
  sockets: SocketBudget;
  /** @default 25_000 */
  heartbeatMs?: number;
  /** Pause the PTY while a viewer has this many bytes unsent. @default 1 MiB */
  highWaterMarkBytes?: number;
  /** Resume once every viewer is below this. @default 256 KiB */
  lowWaterMarkBytes?: number;
  logger?: Logger;
}

/** Output frames are batched up to this size. */
const MAX_FRAME_BYTES = 256 * 1024;

/** Largest client message: a pasted block of text. */
export const TERMINAL_MAX_MESSAGE_BYTES = 1024 * 1024;

export function parseTerminalClientMessage(text: string): TerminalClientMessage | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null) return { error: 'not an object' };
  const message = value as Record<string, unknown>;
  if (message.type === 'input') {
    if (typeof message.data !== 'string') return { error: 'input.data must be a string' };
    return { type: 'input', data: message.data };
  }
  if (message.type === 'resize') {
    if (!Number.isInteger(message.cols) || !Number.isInteger(message.rows))
      return { error: 'resize.cols and resize.rows must be integers' };
    return { type: 'resize', cols: message.cols as number, rows: message.rows as number };
  }
  return { error: `unknown message type: ${String(message.type)}` };
}

/** The `/api/terminals/<id>` endpoint: one viewer per socket, many sockets per terminal. */
export function createTerminalSocketRoute(options: TerminalSocketOptions): SocketRoute {
  const logger = options.logger ?? silentLogger;
  const heartbeatMs = options.heartbeatMs ?? 25_000;
  const high = options.highWaterMarkBytes ?? 1024 * 1024;
  const low = options.lowWaterMarkBytes ?? 256 * 1024;
  const send = (ws: WebSocket, message: TerminalServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };

  return {
    match: pathPattern(TERMINALS_WS_PATH),
    maxPayloadBytes: TERMINAL_MAX_MESSAGE_BYTES,
    onConnection(ws, params, principal, req) {
      if (!admitSocket(ws, principal, { sockets: options.sockets, heartbeatMs, logger, label: 'terminal' })) return;
      const id = params.id!;
      const shouldReplay = new URL(req.url ?? '/', 'http://band.invalid').searchParams.get('replay') !== '0';

      // Bytes handed to ws but not yet written to the socket; drives PTY back-pressure.
      let pendingBytes = 0;
      let isPaused = false;
      let attachment: TerminalAttachment | undefined;
      let isReplaying = true;
      const replay: Buffer[] = [];
      const sendNow = (chunk: Buffer) => {
        if (ws.readyState !== ws.OPEN) return;
        pendingBytes += chunk.length;
        ws.send(chunk, { binary: true }, () => {
          pendingBytes -= chunk.length;
          if (isPaused && pendingBytes <= low) {
            isPaused = false;
            attachment?.resume();
          }
        });
        if (!isPaused && pendingBytes >= high) {
          isPaused = true;
          attachment?.pause();
        }
      };
      // A PTY hands over ~4 KiB per read; a flood would become thousands of tiny frames. Chunks that arrive in the
      // same turn of the event loop go out as one frame (a lone keystroke echo is not delayed: it flushes next tick).
      let batch: Buffer[] = [];
      let batchBytes = 0;
      const flush = () => {
        if (batchBytes === 0) return;
        const merged = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batchBytes);
        batch = [];
        batchBytes = 0;
        sendNow(merged);
      };
      const sendData = (chunk: Buffer) => {
        if (batchBytes === 0) setImmediate(flush);
        batch.push(chunk);
        batchBytes += chunk.length;
        if (batchBytes >= MAX_FRAME_BYTES) flush();
      };

      try {
        attachment = options.terminals.attach(id, {
          data(chunk) {
            if (isReplaying) replay.push(chunk);
            else sendData(chunk);
          },
          resize(cols, rows) {
            send(ws, { type: 'resize', cols, rows });
          },
          exit({ exitCode, signal, wasKilled }) {
            const finish = () => {
              flush();
              send(ws, { type: 'exit', exitCode, signal, wasKilled });
              ws.close(
                wasKilled ? SOCKET_CLOSE.KILLED : SOCKET_CLOSE.NORMAL,
                wasKilled ? 'terminal killed' : 'terminal exited',
              );
            };
            // Exit during attach (an exited terminal): the attached message and replay go first.
            if (isReplaying) queueMicrotask(finish);
            else finish();
          },
        });
      } catch (error) {
        const isMissing = isNotFound(error);
        ws.close(
          isMissing ? SOCKET_CLOSE.NOT_FOUND : SOCKET_CLOSE.POLICY,
          isMissing ? 'terminal not found' : 'cannot attach',
        );
        if (!isMissing) logger.warn(`terminal ${id}: attach failed: ${(error as Error).message}`);
        return;
      }
      const replayBytes = shouldReplay ? replay.reduce((n, b) => n + b.length, 0) : 0;
      send(ws, { type: 'attached', terminal: attachment.info, replayBytes });
      if (replayBytes > 0) sendNow(Buffer.concat(replay));
      isReplaying = false;
      replay.length = 0;

      ws.on('message', (data, isBinary) => {
        const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        try {
          if (isBinary) {
            options.terminals.send(id, bytes);
            return;
          }
          const message = parseTerminalClientMessage(bytes.toString('utf8'));
          if ('error' in message) {
            send(ws, { type: 'error', code: 'BAD_MESSAGE', message: message.error });
            return;
          }
          if (message.type === 'input') options.terminals.send(id, message.data);
          else options.terminals.resize(id, message.cols, message.rows);
        } catch (error) {
          const code = error instanceof BandApiError ? (error.reason ?? error.code) : 'INTERNAL';
          send(ws, { type: 'error', code, message: error instanceof BandApiError ? error.message : 'internal error' });
        }
      });
      ws.once('close', () => attachment?.detach());
    },
  };
}
