import { realpath } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BandApiError } from '../errors.js';
import {
  createLanguageServer,
  LSP_TMP_PREFIX,
  type LanguageServer,
  type LanguageServerSpec,
} from './language-server.js';
import type { LspClientHandle, LspPeer } from './lsp-multiplexer.js';
import { silentLogger, type Logger } from '../internal/logger.js';
import { sweepOwnedTempDirs } from '@band/internal';

export interface LspServiceOptions {
  /**
   * Resolves a workspace reference (id, id prefix, branch) for a client; throws (NOT_FOUND) for an unknown one.
   * Return `{ id, path }` so every name of one workspace shares one server (keyed by `id`); a bare path string
   * keys by the worktree's real path instead.
   */
  resolveWorkspacePath(workspaceRef: string): Promise<string | { id: string; path: string }>;
  /** Language id (as in the socket path) → server. @default {@link defaultLanguageServers} */
  languages?: Record<string, LanguageServerSpec>;
  /** Stop a server when no client has been attached for this long. @default 60_000 */
  idleTimeoutMs?: number;
  /** Crash restart backoff: `min(restartMaxMs, restartBaseMs * 2^n)`, at most `maxRestarts` in a row. */
  restartBaseMs?: number;
  restartMaxMs?: number;
  maxRestarts?: number;
  /** Bytes a server may leave unread on its stdin before its clients are paused. @default 8 MiB */
  maxPendingBytes?: number;
  logger?: Logger;
  /** Environment of the servers. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** A running language server, as listed for diagnostics. */
export interface LspServerInfo {
  workspaceId: string;
  /** The spec id (several languages may share one server). */
  server: string;
  pid: number | undefined;
  clients: number;
  /** Bytes Band wrote to the server's stdin that it has not read yet (clients are paused above `maxPendingBytes`). */
  pendingBytes: number;
}

/** What a client is told right after it connects (`band/attached` notification). */
export interface LspAttachInfo {
  workspaceId: string;
  language: string;
  /** `file://` URI of the worktree: documents are `rootUri + '/' + relativePath`. */
  rootUri: string;
}

export interface LspService extends AsyncDisposable {
  /** Configured language ids. */
  languages(): string[];
  /**
   * Attaches a client to the workspace's server for `language`, starting it on first use.
   * Throws NOT_FOUND for an unknown language or workspace.
   */
  connect(
    workspaceRef: string,
    language: string,
    peer: LspPeer,
  ): Promise<{ handle: LspClientHandle; info: LspAttachInfo }>;
  list(): LspServerInfo[];
  /** Stops every server (process trees included). Idempotent. */
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

/**
 * TypeScript and JavaScript through `typescript-language-server` (a dependency of @band/api), run with this Node,
 * sharing one tsserver per workspace. It uses the workspace's own `typescript` when it has one, else ours.
 */
export function defaultLanguageServers(): Record<string, LanguageServerSpec> {
  const cli = require.resolve('typescript-language-server/lib/cli.mjs');
  const tsserver = require.resolve('typescript/lib/tsserver.js');
  const spec: LanguageServerSpec = {
    id: 'typescript',
    command: process.execPath,
    args: [cli, '--stdio'],
    initializationOptions: { tsserver: { fallbackPath: tsserver } },
  };
  return { typescript: spec, javascript: spec, typescriptreact: spec, javascriptreact: spec };
}

const LANGUAGE_ID = /^[a-z][a-z0-9._+-]{0,63}$/;

export function createLspService(options: LspServiceOptions): LspService {
  const logger = options.logger ?? silentLogger;
  // Temp folders of language servers a server killed with SIGKILL left behind (their owner pid is gone).
  sweepOwnedTempDirs(LSP_TMP_PREFIX);
  let languageMap: Record<string, LanguageServerSpec> | undefined = options.languages;
  const getLanguages = () => (languageMap ??= defaultLanguageServers());
  const servers = new Map<string, { workspaceId: string; server: LanguageServer; serverId: string }>();
  let closing: Promise<void> | undefined;

  return {
    languages: () => Object.keys(getLanguages()),

    async connect(workspaceRef, language, peer) {
      if (closing) throw new BandApiError('UNAVAILABLE', 'The server is shutting down', { reason: 'SHUTTING_DOWN' });
      const spec = LANGUAGE_ID.test(language)
        ? Object.hasOwn(getLanguages(), language) && getLanguages()[language]
        : undefined;
      if (!spec) {
        throw new BandApiError('NOT_FOUND', `No language server for ${JSON.stringify(language.slice(0, 64))}`, {
          reason: 'LANGUAGE_NOT_CONFIGURED',
          hint: `Configured: ${Object.keys(getLanguages()).join(', ')}`,
        });
      }
      const resolved = await options.resolveWorkspacePath(workspaceRef);
      const workspacePath = path.resolve(typeof resolved === 'string' ? resolved : resolved.path);
      // One server per workspace, whatever name the client used for it (id, id prefix, branch): keyed by the
      // resolved id, else by the real worktree path, never by the raw reference.
      const workspaceKey =
        typeof resolved === 'string' ? await realpath(workspacePath).catch(() => workspacePath) : resolved.id;
      const workspaceId = typeof resolved === 'string' ? workspaceRef : resolved.id;
      if (closing) throw new BandApiError('UNAVAILABLE', 'The server is shutting down', { reason: 'SHUTTING_DOWN' });
      const serverId = spec.id ?? language;
      const key = `${workspaceKey}\u0000${serverId}`;
      let entry = servers.get(key);
      if (entry?.server.isStopping) {
        await entry.server.stop();
        entry = servers.get(key);
      }
      if (!entry || entry.server.isStopping) {
        const server = createLanguageServer({
          spec,
          language: serverId,
          workspacePath,
          logger,
          env: options.env,
          idleTimeoutMs: options.idleTimeoutMs,
          restartBaseMs: options.restartBaseMs,
          restartMaxMs: options.restartMaxMs,
          maxRestarts: options.maxRestarts,
          maxPendingBytes: options.maxPendingBytes,
          onStopped() {
            if (servers.get(key)?.server === server) servers.delete(key);
          },
        });
        entry = { workspaceId, server, serverId };
        servers.set(key, entry);
      }
      const handle = entry.server.attach(peer);
      const info: LspAttachInfo = { workspaceId, language, rootUri: pathToFileURL(workspacePath).href };
      return { handle, info };
    },

    list() {
      return [...servers.values()].map(({ workspaceId, server, serverId }) => ({
        workspaceId,
        server: serverId,
        pid: server.pid,
        clients: server.clientCount,
        pendingBytes: server.pendingBytes,
      }));
    },

    close() {
      closing ??= (async () => {
        await Promise.all([...servers.values()].map(({ server }) => server.stop()));
        servers.clear();
      })();
      return closing;
    },

    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
}
