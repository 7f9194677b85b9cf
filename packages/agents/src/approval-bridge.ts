import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeOwnedTempDir, sweepOwnedTempDirs } from '@band/internal';
import { createApprovalBook, type RequestEvent } from './approval-book.js';
import type { AgentEvent, ApprovalDecision } from './types.js';

/** The MCP server name in the generated config; Claude Code calls its tool `mcp__<server>__<tool>`. */
export const APPROVAL_MCP_SERVER = 'band_approvals';
/** What `--permission-prompt-tool` names. */
export const APPROVAL_PROMPT_TOOL = `mcp__${APPROVAL_MCP_SERVER}__permission_prompt`;
const MAX_BODY_BYTES = 1024 * 1024;

/** Path of the MCP stdio server script (`mcp/band-approvals.mjs`, shipped with the package, run with this Node). */
export function approvalMcpServerPath(): string {
  // src/*.ts in tests and dist/*.js when built are both one level below the package root.
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'mcp', 'band-approvals.mjs');
}

/** Bridge folders are `band-approvals-<pid>-XXXXXX` in the temp folder: the pid says whose they are. */
const DIR_PREFIX = 'band-approvals-';

// Folders of this process's open bridges: removed on exit if a turn never got to close its bridge (a server that
// exits without stopping its turns).
const openDirs = new Set<string>();
let exitHookInstalled = false;
let swept = false;

/**
 * Removes bridge folders that a process which is gone left behind (a server killed with SIGKILL cannot clean up).
 * Only this user's, only where the owning pid is dead; runs once per process, at the first bridge.
 */
export function sweepStaleApprovalDirs(dir = tmpdir()): string[] {
  return sweepOwnedTempDirs(DIR_PREFIX, dir);
}

/**
 * One turn's approval channel: an HTTP endpoint on a private Unix socket, guarded by a random per-turn capability, and
 * the `--mcp-config` file (in a 0700 temp dir, mode 0600) that tells Claude Code how to start Band's MCP server. The
 * capability only ever travels in that file and in the MCP server's environment, never on argv.
 */
export interface ApprovalBridge extends ApprovalChannel {
  /** The `--mcp-config` file. */
  readonly configPath: string;
}

/**
 * What a session needs of a turn's approvals, whatever carries them: Claude Code's MCP permission prompt tool
 * (`createApprovalBridge`) or Codex's app-server JSON-RPC requests (`createCodexAppServer`).
 */
export interface ApprovalChannel {
  /** Events go here (the session's queue); set once the process is spawned. */
  attach(push: (event: AgentEvent) => void): void;
  /** Answers a pending request. False when it is unknown or was already answered. */
  respond(requestId: string, decision: ApprovalDecision): boolean;
  /** Requests still waiting for an answer. */
  pending(): RequestEvent[];
  /**
   * Denies every pending request (turn aborted or ended) and stops accepting new ones. With `silent`, the
   * denial is recorded but not sent to the CLI: an aborted CLI is being killed and must not act on an answer.
   */
  denyAll(message: string, by?: Record<string, string>, options?: { silent?: boolean }): void;
  /** Denies what is pending, closes the listener and removes the config file. Idempotent. */
  close(): void;
}

export function createApprovalBridge(): ApprovalBridge {
  const capability = randomBytes(32);
  const capabilityHex = capability.toString('hex');
  const book = createApprovalBook<{ event: RequestEvent; answer: (decision: ApprovalDecision) => void }>(
    (entry, decision) => entry.answer(decision),
  );

  function authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '', 'utf8');
    const expected = Buffer.from(capabilityHex, 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const reply = (status: number, body: unknown) => {
      if (res.writableEnded || res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== '/approval') return reply(404, { error: 'not found' });
    if (!authorized(req)) return reply(401, { error: 'bad capability' });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) return reply(413, { error: 'too large' });
      chunks.push(chunk as Buffer);
    }
    let body: { toolName?: unknown; input?: unknown; toolUseId?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return reply(400, { error: 'malformed JSON' });
    }
    if (book.closedForNew) return reply(200, { behavior: 'deny', message: 'The turn has ended.' });
    const event: RequestEvent = {
      type: 'approval-request',
      requestId: randomUUID(),
      toolName: typeof body.toolName === 'string' ? body.toolName : 'unknown',
      input: body.input ?? {},
      ...(typeof body.toolUseId === 'string' ? { toolUseId: body.toolUseId } : {}),
      requestedAt: new Date().toISOString(),
    };
    const decision = await new Promise<ApprovalDecision>((answer) => {
      book.add({ event, answer });
      book.emit(event);
    });
    reply(
      200,
      decision.behavior === 'allow'
        ? { behavior: 'allow', ...(decision.updatedInput ? { updatedInput: decision.updatedInput } : {}) }
        : { behavior: 'deny', message: decision.message || 'The user denied this.' },
    );
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  // A Unix socket in a 0700 temp dir: its path is known before it is bound (so the CLI can be spawned at once),
  // and only this user can reach it; the capability is checked on top.
  if (!swept) {
    swept = true;
    sweepStaleApprovalDirs();
  }
  const dir = makeOwnedTempDir(DIR_PREFIX);
  openDirs.add(dir);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const open of openDirs) rmSync(open, { recursive: true, force: true });
    });
  }
  const socketPath = join(dir, 'bridge.sock');
  server.listen(socketPath);
  server.unref();
  const configPath = join(dir, 'mcp.json');
  const config = {
    mcpServers: {
      [APPROVAL_MCP_SERVER]: {
        type: 'stdio',
        command: process.execPath,
        args: [approvalMcpServerPath()],
        env: { BAND_APPROVAL_SOCKET: socketPath, BAND_APPROVAL_CAPABILITY: capabilityHex },
        // Claude Code waits for an alwaysLoad server before the first prompt, instead of connecting it in the
        // background (the permission prompt tool must exist when the first tool call needs it).
        alwaysLoad: true,
      },
    },
  };
  writeFileSync(configPath, JSON.stringify(config), { mode: 0o600 });

  return {
    configPath,
    ...book.channel(() => {
      server.close();
      server.closeAllConnections();
      rmSync(dir, { recursive: true, force: true });
      openDirs.delete(dir);
    }),
  };
}
