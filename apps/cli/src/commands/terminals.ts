// `band terminals list|create|send|output|attach|kill`: PTY sessions in a workspace.
import { Command, InvalidArgumentError } from 'commander';
import { authHeaders, wsUrl } from '../transport.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { formatTime, renderTable } from '../output.js';
import { resolveWorkspaceId, workspaceIdOrAll } from '../resolve.js';

interface TerminalRow {
  id: string;
  workspaceId: string;
  cwd: string;
  command?: string;
  pid: number;
  status: string;
  exitCode?: number;
  createdAt: number;
  viewers: number;
}

/**
 * The escapes `terminals send --data` understands: `\n` and `\r` (Enter), `\t` (Tab), `\e` (Escape), `\\`,
 * `\xHH` and `\uHHHH` (e.g. `\x03` is Ctrl+C). Anything else is sent as typed.
 */
export function interpretEscapes(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)/g, (whole, esc: string) => {
    if (esc === 'n' || esc === 'r') return '\r';
    if (esc === 't') return '\t';
    if (esc === 'e') return '\u001b';
    if (esc === '\\') return '\\';
    if (esc.length > 1) return String.fromCharCode(Number.parseInt(esc.slice(1), 16));
    return whole;
  });
}

/** `ctrl-c`, `ctrl-]`, `ctrl-q`… → the byte the terminal sends for it. */
export function parseDetachKey(value: string): number {
  const match = /^ctrl-(.)$/i.exec(value.trim());
  if (!match) throw new InvalidArgumentError('use ctrl-<key>, e.g. ctrl-c or ctrl-]');
  const code = match[1]!.toUpperCase().charCodeAt(0);
  if (code < 0x40 || code > 0x5f) throw new InvalidArgumentError('use ctrl-<key> with a letter or one of @[\\]^_');
  return code & 0x1f;
}

const parseLines = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000)
    throw new InvalidArgumentError('a number of lines from 1 to 100000');
  return n;
};

async function resolveTerminalId(
  ctx: CliContext,
  id: string | undefined,
  workspace: string | undefined,
): Promise<string> {
  if (id) return id;
  const workspaceId = await resolveWorkspaceId(ctx, workspace);
  const terminals = (await ctx.client.terminals.list.query({ workspaceId })) as TerminalRow[];
  const first = [...terminals].filter((t) => t.status === 'running').sort((a, b) => a.createdAt - b.createdAt)[0];
  if (!first) {
    throw new CliError('NOT_FOUND', `Workspace ${workspaceId} has no running terminal`, {
      hint: 'Create one with `band terminals create`.',
    });
  }
  return first.id;
}

export interface TerminalSocketHandlers {
  onAttached?(message: { terminal: TerminalRow; replayBytes: number }): void;
  onData(chunk: Buffer): void;
  onExit?(message: { exitCode?: number; signal?: number; wasKilled: boolean }): void;
  onServerError?(message: { code: string; message: string }): void;
}

/** Opens `/api/terminals/<id>` with the bearer header and the exact Origin. Resolves with the close code. */
export async function openTerminalSocket(
  ctx: CliContext,
  id: string,
  replay: boolean,
  handlers: TerminalSocketHandlers,
) {
  const { default: WebSocket } = await import('ws');
  const base = wsUrl(ctx.connection.serverUrl, `/api/terminals/${encodeURIComponent(id)}`);
  const url = `${base}${replay ? '' : '?replay=0'}`;
  const ws = new WebSocket(url, { headers: authHeaders(ctx.connection), perMessageDeflate: false });
  const closed = new Promise<{ code: number; reason: string }>((resolve, reject) => {
    let opened = false;
    ws.on('open', () => {
      opened = true;
    });
    ws.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      ws.terminate();
      if (status === 401 || status === 403)
        reject(new CliError('UNAUTHORIZED', `The server refused the terminal connection (HTTP ${status})`));
      else reject(new CliError('ERROR', `The server refused the terminal connection (HTTP ${status})`));
    });
    ws.on('error', (error) => {
      if (!opened) reject(error);
    });
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  ws.on('message', (data, isBinary) => {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) {
      handlers.onData(bytes);
      return;
    }
    let message: { type?: string } & Record<string, unknown>;
    try {
      message = JSON.parse(bytes.toString('utf8'));
    } catch {
      return;
    }
    if (message.type === 'attached') handlers.onAttached?.(message as never);
    else if (message.type === 'exit') handlers.onExit?.(message as never);
    else if (message.type === 'error') handlers.onServerError?.(message as never);
  });
  return { ws, closed };
}

function closeCodeError(id: string, close: { code: number; reason: string }): CliError | undefined {
  if (close.code === 4404)
    return new CliError('NOT_FOUND', `Terminal not found: ${id}`, { hint: 'See `band terminals list`.' });
  if (close.code === 4429) return new CliError('ERROR', close.reason || 'Too many open sockets');
  if (close.code === 4401)
    return new CliError('UNAUTHORIZED', 'The server closed the connection: the session was revoked');
  return undefined;
}

export function terminalsCommand(ctx: CliContext): Command {
  const terminals = new Command('terminals').description(
    'Shell sessions (PTYs) in a workspace; each keeps its own scrollback',
  );

  terminals
    .command('list')
    .description("List a workspace's terminals (the current directory's workspace, else all)")
    .argument('[workspace_id]', 'workspace (default: the one containing the current directory)')
    .action(async (workspace?: string) => {
      const workspaceId = await workspaceIdOrAll(ctx, workspace);
      const rows = (await ctx.client.terminals.list.query(workspaceId ? { workspaceId } : undefined)) as TerminalRow[];
      ctx.out.print(rows, (r, style) =>
        renderTable(
          r,
          [
            { header: 'ID', value: (t) => t.id },
            { header: 'WORKSPACE ID', value: (t) => t.workspaceId },
            {
              header: 'STATUS',
              value: (t) => (t.status === 'exited' && t.exitCode !== undefined ? `exited (${t.exitCode})` : t.status),
            },
            { header: 'COMMAND', value: (t) => t.command },
            { header: 'CWD', value: (t) => t.cwd },
            { header: 'CREATED', value: (t) => formatTime(t.createdAt) },
          ],
          style,
        ),
      );
    });

  terminals
    .command('create')
    .description('Start a shell in a workspace (prints the terminal id)')
    .argument('[workspace_id]', 'workspace (default: the one containing the current directory)')
    .option('--command <cmd>', 'a shell command typed right after the shell starts')
    .option('--cwd <dir>', 'directory relative to the workspace root')
    .action(async (workspace: string | undefined, opts: { command?: string; cwd?: string }) => {
      const workspaceId = await resolveWorkspaceId(ctx, workspace);
      const size = ctx.terminalSize();
      const info = (await ctx.client.terminals.create.mutate({
        workspaceId,
        command: opts.command,
        cwd: opts.cwd,
        ...(size ? { cols: size.cols, rows: size.rows } : {}),
      })) as TerminalRow;
      ctx.out.print(info, (t) => `${t.id}\n`);
    });

  terminals
    .command('send')
    .description('Write keystrokes to a terminal; \\n is Enter, \\t Tab, \\xHH any byte (\\x03 is Ctrl+C)')
    .argument('[terminal_id]', 'terminal (default: the first terminal of the current workspace)')
    .requiredOption('--data <chars>', 'what to type, with escapes, e.g. "npm test\\n"')
    .option('--workspace <ws_id>', 'workspace for the default terminal')
    .action(async (id: string | undefined, opts: { data: string; workspace?: string }) => {
      const terminalId = await resolveTerminalId(ctx, id, opts.workspace);
      const data = interpretEscapes(opts.data);
      if (data.length === 0) throw new CliError('USAGE', '--data is empty');
      const result = await ctx.client.terminals.send.mutate({ id: terminalId, data });
      ctx.out.print(result, () => '');
    });

  terminals
    .command('output')
    .description('Print the last lines of a terminal (colours removed); --follow streams live output')
    .argument('[terminal_id]', 'terminal (default: the first terminal of the current workspace)')
    .option('--lines <n>', 'how many lines', parseLines, 50)
    .option('--follow', 'keep streaming new output until Ctrl+C (the terminal keeps running)')
    .option('--workspace <ws_id>', 'workspace for the default terminal')
    .action(async (id: string | undefined, opts: { lines: number; follow?: boolean; workspace?: string }) => {
      const terminalId = await resolveTerminalId(ctx, id, opts.workspace);
      const result = (await ctx.client.terminals.output.query({ id: terminalId, lines: opts.lines })) as {
        id: string;
        lines: string[];
        status: string;
      };
      if (ctx.out.format === 'json' && !opts.follow) {
        ctx.out.json(result);
        return;
      }
      if (ctx.out.format === 'json') ctx.out.jsonLine(result);
      else ctx.out.write(result.lines.length ? `${result.lines.join('\n')}\n` : '');
      if (!opts.follow || result.status !== 'running') return;
      ctx.handleInterrupt();
      const { ws, closed } = await openTerminalSocket(ctx, terminalId, false, {
        onData: (chunk) =>
          ctx.out.format === 'json'
            ? ctx.out.jsonLine({ type: 'data', data: chunk.toString('utf8') })
            : ctx.out.write(chunk.toString('utf8')),
        onExit: (message) =>
          ctx.out.format === 'json'
            ? ctx.out.jsonLine(message)
            : ctx.err.progress(
                `\n[terminal exited${message.exitCode !== undefined ? ` with code ${message.exitCode}` : ''}]`,
              ),
      });
      const onAbort = () => ws.close(1000, 'detached');
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      const close = await closed.finally(() => ctx.signal.removeEventListener('abort', onAbort));
      const error = closeCodeError(terminalId, close);
      if (error) throw error;
      if (ctx.signal.aborted) throw new CliError('INTERRUPTED', 'Stopped following (the terminal keeps running)');
    });

  terminals
    .command('attach')
    .description(
      'Use a terminal interactively: output to this terminal, keys to the shell; Ctrl+C detaches (see --detach-key)',
    )
    .argument('[terminal_id]', 'terminal (default: the first terminal of the current workspace)')
    .option(
      '--detach-key <key>',
      'key that detaches, leaving the terminal running; e.g. ctrl-] to send Ctrl+C to the shell',
      parseDetachKey,
      0x03,
    )
    .option('--workspace <ws_id>', 'workspace for the default terminal')
    .action(async (id: string | undefined, opts: { detachKey: number; workspace?: string }) => {
      const terminalId = await resolveTerminalId(ctx, id, opts.workspace);
      ctx.handleInterrupt();
      const stdin = ctx.stdin;
      let detached = false;
      let exited: { exitCode?: number } | undefined;
      const { ws, closed } = await openTerminalSocket(ctx, terminalId, true, {
        onAttached: () => ctx.err.progress(`[attached to ${terminalId}; ${detachKeyName(opts.detachKey)} detaches]`),
        onData: (chunk) => ctx.out.write(chunk.toString('utf8')),
        onExit: (message) => {
          exited = message;
        },
        onServerError: (message) => ctx.err.warn(message.message),
      });
      const detach = () => {
        if (detached) return;
        detached = true;
        ws.close(1000, 'detached');
      };
      const sendResize = () => {
        const size = ctx.terminalSize();
        if (size && ws.readyState === ws.OPEN)
          ws.send(JSON.stringify({ type: 'resize', cols: size.cols, rows: size.rows }));
      };
      const onKeys = (chunk: Buffer) => {
        const at = chunk.indexOf(opts.detachKey);
        const before = at >= 0 ? chunk.subarray(0, at) : chunk;
        if (before.length && ws.readyState === ws.OPEN) ws.send(before, { binary: true });
        if (at >= 0) detach();
      };
      ws.once('open', () => {
        sendResize();
        if (stdin.isTTY) stdin.setRawMode?.(true);
        stdin.on('data', onKeys);
        stdin.resume();
      });
      const offResize = ctx.onResize(sendResize);
      const onAbort = () => detach();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      try {
        const close = await closed;
        const error = closeCodeError(terminalId, close);
        if (error) throw error;
      } finally {
        offResize();
        ctx.signal.removeEventListener('abort', onAbort);
        stdin.off('data', onKeys);
        if (stdin.isTTY) stdin.setRawMode?.(false);
        stdin.pause();
      }
      if (exited)
        ctx.err.progress(`\n[terminal exited${exited.exitCode !== undefined ? ` with code ${exited.exitCode}` : ''}]`);
      else ctx.err.progress(`\n[detached from ${terminalId}; it keeps running]`);
    });

  terminals
    .command('kill')
    .description('Stop a terminal and every process it started')
    .argument('[terminal_id]', 'terminal (default: the first terminal of the current workspace)')
    .option('--workspace <ws_id>', 'workspace for the default terminal')
    .action(async (id: string | undefined, opts: { workspace?: string }) => {
      const terminalId = await resolveTerminalId(ctx, id, opts.workspace);
      const result = await ctx.client.terminals.kill.mutate({ id: terminalId });
      ctx.out.print(result, () => `Killed ${terminalId}\n`);
    });
  return terminals;
}

function detachKeyName(byte: number): string {
  return `Ctrl+${String.fromCharCode(byte + 0x40)}`;
}
