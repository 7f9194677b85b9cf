// Shells in PTYs that belong to a workspace: spawned in its worktree, kept with their scrollback while viewers come
// and go, paused by a slow viewer, and killed with their whole process tree.
import { StringDecoder } from 'node:string_decoder';
import * as nodePty from '@lydell/node-pty';
import { BandApiError, notFound } from '../errors.js';
import { createEmitter, streamEvents } from '../events.js';
import { silentLogger } from '../internal/logger.js';
import { isProcessAlive, listProcessTree, signalProcessTree } from '../internal/process-tree.js';
import { createScrollback, type Scrollback } from './scrollback.js';
import { toDisplayLines } from './strip-ansi.js';
import { withoutBandVariables } from '@band/agents';
import { listProcessesWithEnvironment } from '@band/internal';
import { ensureTerminalSize, newTerminalId, resolveTerminalCwd } from './terminal-input.js';
import type {
  TerminalInfo,
  TerminalService,
  TerminalServiceEvents,
  TerminalServiceOptions,
  TerminalStreamEvent,
  TerminalViewer,
} from './terminal-types.js';

function signalEach(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export const terminalDefaults = Object.freeze({
  cols: 120,
  rows: 32,
  scrollbackBytes: 1024 * 1024,
  maxTerminalsPerOwner: 16,
  maxExitedTerminals: 32,
  killTimeoutMs: 3_000,
  hangupGraceMs: 5_000,
});

interface Terminal {
  info: Omit<TerminalInfo, 'viewers'>;
  owner: string;
  pty: nodePty.IPty;
  scrollback: Scrollback;
  viewers: Set<TerminalViewer>;
  pausedBy: Set<TerminalViewer>;
  isKilled: boolean;
  exited: Promise<void>;
}

export function createTerminalService(options: TerminalServiceOptions): TerminalService {
  const logger = options.logger ?? silentLogger;
  const env = options.env ?? process.env;
  const shell = options.shell ?? env.SHELL ?? (process.platform === 'win32' ? 'cmd.exe' : '/bin/bash');
  const shellArgs = options.shellArgs ?? [];
  const scrollbackBytes = options.scrollbackBytes ?? terminalDefaults.scrollbackBytes;
  const maxPerOwner = options.maxTerminalsPerOwner ?? terminalDefaults.maxTerminalsPerOwner;
  const maxExited = options.maxExitedTerminals ?? terminalDefaults.maxExitedTerminals;
  const killTimeoutMs = options.killTimeoutMs ?? terminalDefaults.killTimeoutMs;
  const hangupGraceMs = options.hangupGraceMs ?? terminalDefaults.hangupGraceMs;
  const spawnPty = options.spawnPty ?? nodePty.spawn;
  const events = createEmitter<TerminalServiceEvents>();
  const terminals = new Map<string, Terminal>();
  const starting = new Map<string, number>();
  let closing: Promise<void> | undefined;

  const toInfo = (t: Terminal): TerminalInfo => ({ ...t.info, viewers: t.viewers.size });

  const find = (id: string): Terminal => {
    const t = terminals.get(id);
    if (!t) throw notFound('terminal', id);
    return t;
  };

  const ensureRunning = (t: Terminal) => {
    if (t.info.status !== 'running') {
      throw new BandApiError('PRECONDITION_FAILED', `Terminal ${t.info.id} has exited`, {
        reason: 'TERMINAL_EXITED',
        hint: 'Create a new terminal; `output` still shows what it printed',
      });
    }
  };

  const pruneExited = () => {
    const exited = [...terminals.values()].filter((t) => t.info.status === 'exited');
    for (const t of exited.slice(0, Math.max(0, exited.length - maxExited))) {
      terminals.delete(t.info.id);
      events.emit('removed', t.info.id, t.info.workspaceId);
    }
  };

  const updatePaused = (t: Terminal) => {
    if (t.info.status !== 'running') return;
    try {
      if (t.pausedBy.size > 0) t.pty.pause();
      else t.pty.resume();
    } catch {
      // the PTY closed meanwhile
    }
  };

  const killTree = async (t: Terminal) => {
    t.isKilled = true;
    if (t.info.status === 'exited') return;
    // Hang up first, as a closing terminal window does: shells and scripts run their exit traps. Killing outright
    // leaves their lock files behind: a SIGKILLed `pyenv rehash` (run by many users' .bashrc) leaves a lock that
    // makes every new shell wait 60 s before it reads input.
    // The whole session gets the grace, not only the shell: a script it ran may still be in its trap.
    // Jobs that left the session (`setsid nohup job &`) are re-parented to init, out of reach of the tree walk:
    // they still carry the terminal's BAND_TERMINAL_ID in their environment.
    // Each process is hung up once: a second SIGHUP while a shell runs its trap ends the trap half-way. So the jobs
    // are hung up before the shell: an interactive shell that gets SIGHUP sends it again to its jobs, and its exit
    // makes the kernel hang up the foreground job once more.
    const escaped = () =>
      listProcessesWithEnvironment('BAND_TERMINAL_ID', t.info.id).filter((pid) => pid !== process.pid);
    const shell = t.info.pid;
    const jobs = [...new Set([...(listProcessTree(shell) ?? []), ...escaped()])].filter((pid) => pid !== shell);
    signalEach(jobs, 'SIGHUP');
    const deadline = Date.now() + hangupGraceMs;
    const settle = async (pids: number[], until: number) => {
      while (Date.now() < until && pids.some((pid) => isProcessAlive(pid)))
        await new Promise((resolve) => setTimeout(resolve, 20));
    };
    await settle(jobs, deadline);
    signalEach([shell], 'SIGHUP');
    await settle([shell, ...escaped()], Math.max(deadline, Date.now() + 1_000));
    // Two passes: children forked while the first pass runs are caught by the second (they keep the session id).
    signalProcessTree(t.info.pid, 'SIGKILL');
    signalProcessTree(t.info.pid, 'SIGKILL');
    signalEach(escaped(), 'SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      t.exited,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, killTimeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    if ((t.info.status as TerminalInfo['status']) !== 'exited')
      logger.warn(`terminal ${t.info.id}: shell ${t.info.pid} not reaped within ${killTimeoutMs} ms`);
  };

  return {
    list(filter) {
      return [...terminals.values()]
        .filter((t) => !filter?.workspaceId || t.info.workspaceId === filter.workspaceId)
        .map(toInfo);
    },

    get(id) {
      return toInfo(find(id));
    },

    async create(input, owner = 'anonymous') {
      if (closing) throw new BandApiError('UNAVAILABLE', 'The server is shutting down', { reason: 'SHUTTING_DOWN' });
      const cols = input.cols ?? terminalDefaults.cols;
      const rows = input.rows ?? terminalDefaults.rows;
      ensureTerminalSize(cols, rows);
      // Creations still resolving their workspace count too, so parallel requests cannot overshoot the cap.
      const running =
        [...terminals.values()].filter((t) => t.owner === owner && t.info.status === 'running').length +
        (starting.get(owner) ?? 0);
      if (running >= maxPerOwner) {
        throw new BandApiError(
          'PRECONDITION_FAILED',
          `Too many terminals: this session already has ${running} open (limit ${maxPerOwner})`,
          {
            reason: 'TERMINAL_LIMIT',
            hint: 'Kill one first: band terminals kill <terminal_id>',
          },
        );
      }
      starting.set(owner, (starting.get(owner) ?? 0) + 1);
      let cwd: string;
      try {
        cwd = await resolveTerminalCwd(await options.resolveWorkspacePath(input.workspaceId), input.cwd);
      } finally {
        const left = (starting.get(owner) ?? 1) - 1;
        if (left > 0) starting.set(owner, left);
        else starting.delete(owner);
      }
      if (closing) throw new BandApiError('UNAVAILABLE', 'The server is shutting down', { reason: 'SHUTTING_DOWN' });
      const id = newTerminalId();
      let pty: nodePty.IPty;
      try {
        pty = spawnPty(shell, shellArgs, {
          name: 'xterm-256color',
          cols,
          rows,
          cwd,
          // None of the server's BAND_* variables (BAND_TOKEN...); only the two that describe this terminal.
          env: {
            ...withoutBandVariables(env),
            TERM: 'xterm-256color',
            COLORTERM: 'truecolor',
            BAND_WORKSPACE_ID: input.workspaceId,
            BAND_TERMINAL_ID: id,
          } as Record<string, string>,
          // Bytes, not strings: output is forwarded untouched and a UTF-8 character may straddle two chunks.
          encoding: null,
        });
      } catch (cause) {
        throw new BandApiError('INTERNAL', `Could not start the shell ${shell}`, {
          reason: 'SPAWN_FAILED',
          hint: 'Set SHELL to an existing shell',
          cause,
        });
      }
      let resolveExited!: () => void;
      const t: Terminal = {
        info: {
          id,
          workspaceId: input.workspaceId,
          cwd,
          command: input.command,
          pid: pty.pid,
          cols,
          rows,
          status: 'running',
          createdAt: Date.now(),
        },
        owner,
        pty,
        scrollback: createScrollback(scrollbackBytes),
        viewers: new Set(),
        pausedBy: new Set(),
        isKilled: false,
        exited: new Promise<void>((resolve) => {
          resolveExited = resolve;
        }),
      };
      terminals.set(id, t);
      pty.onData((data: string | Buffer) => {
        const chunk = typeof data === 'string' ? Buffer.from(data) : data;
        t.scrollback.push(chunk);
        for (const viewer of t.viewers) {
          try {
            viewer.data(chunk);
          } catch (error) {
            logger.warn(`terminal ${id}: viewer failed: ${(error as Error).message}`);
          }
        }
      });
      pty.onExit(({ exitCode, signal }) => {
        t.info.status = 'exited';
        t.info.exitCode = exitCode;
        if (signal) t.info.signal = signal;
        // The shell is gone but a background job it left may not be: reap the rest of the session, hanging up
        // first so exit traps run (see killTree). A kill in progress has hung them up already and reaps them itself.
        if (!t.isKilled) {
          signalProcessTree(t.info.pid, 'SIGHUP');
          setTimeout(() => signalProcessTree(t.info.pid, 'SIGKILL'), hangupGraceMs).unref();
        }
        for (const viewer of t.viewers) {
          try {
            viewer.exit({ exitCode, signal: signal || undefined, wasKilled: t.isKilled });
          } catch {
            // a broken viewer must not keep the others from hearing about the exit
          }
        }
        t.viewers.clear();
        t.pausedBy.clear();
        resolveExited();
        logger.debug(`terminal ${id} exited (code ${exitCode}${signal ? `, signal ${signal}` : ''})`);
        events.emit('exited', toInfo(t));
        pruneExited();
      });
      if (input.command) pty.write(`${input.command}\r`);
      logger.debug(`terminal ${id} started in workspace ${input.workspaceId} (pid ${pty.pid})`);
      const info = toInfo(t);
      events.emit('created', info);
      return info;
    },

    async kill(id) {
      const t = find(id);
      await killTree(t);
      if (terminals.get(id) === t) {
        terminals.delete(id);
        events.emit('removed', id, t.info.workspaceId);
      }
    },

    send(id, data) {
      const t = find(id);
      ensureRunning(t);
      t.pty.write(typeof data === 'string' ? data : (data as unknown as string));
    },

    resize(id, cols, rows) {
      const t = find(id);
      ensureRunning(t);
      ensureTerminalSize(cols, rows);
      if (cols !== t.info.cols || rows !== t.info.rows) {
        t.pty.resize(cols, rows);
        t.info.cols = cols;
        t.info.rows = rows;
        for (const viewer of t.viewers) viewer.resize?.(cols, rows);
      }
      return toInfo(t);
    },

    output(id, { lines = 50, stripAnsi = true } = {}) {
      const t = find(id);
      const kept = t.scrollback.snapshot();
      // Decode only the tail that holds the last `lines` lines: a full 1 MiB scrollback of short lines is slow to
      // split.
      let start = kept.length;
      for (let found = 0; start > 0 && found <= lines; ) {
        start = kept.lastIndexOf(0x0a, start - 1);
        if (start === -1) {
          start = 0;
          break;
        }
        found++;
      }
      const isCut = start > 0;
      const bytes = isCut ? kept.subarray(start + 1) : kept;
      const decoder = new StringDecoder('utf8');
      let text = decoder.write(bytes);
      if (!isCut && t.scrollback.isTruncated) {
        // The oldest kept byte may sit in the middle of a line or an escape sequence: start at the next full line.
        const firstNewline = text.indexOf('\n');
        text = firstNewline === -1 ? '' : text.slice(firstNewline + 1);
      }
      const all = toDisplayLines(text, { shouldStripAnsi: stripAnsi });
      // A trailing newline leaves an empty last element; the prompt line without one is kept.
      if (all.length > 0 && all[all.length - 1] === '') all.pop();
      return { id, lines: lines > 0 ? all.slice(-lines) : [], status: t.info.status };
    },

    attach(id, viewer) {
      const t = find(id);
      const replay = t.scrollback.snapshot();
      if (replay.length > 0) viewer.data(replay);
      const info = toInfo(t);
      if (t.info.status === 'exited') {
        viewer.exit({ exitCode: t.info.exitCode, signal: t.info.signal, wasKilled: t.isKilled });
        return { info, replayedBytes: replay.length, detach() {}, pause() {}, resume() {} };
      }
      t.viewers.add(viewer);
      return {
        info: { ...info, viewers: t.viewers.size },
        replayedBytes: replay.length,
        detach() {
          t.viewers.delete(viewer);
          if (t.pausedBy.delete(viewer)) updatePaused(t);
        },
        pause() {
          if (!t.viewers.has(viewer) || t.pausedBy.has(viewer)) return;
          t.pausedBy.add(viewer);
          updatePaused(t);
        },
        resume() {
          if (t.pausedBy.delete(viewer)) updatePaused(t);
        },
      };
    },

    on: events.on,

    async *subscribe(filter = {}, signal) {
      const wanted = (workspaceId: string) => filter.workspaceId === undefined || filter.workspaceId === workspaceId;
      yield* streamEvents<TerminalStreamEvent>(
        (push) => [
          events.on('created', (terminal) => wanted(terminal.workspaceId) && push({ type: 'created', terminal })),
          events.on('exited', (terminal) => wanted(terminal.workspaceId) && push({ type: 'exited', terminal })),
          events.on('removed', (id, workspaceId) => wanted(workspaceId) && push({ type: 'removed', id, workspaceId })),
        ],
        signal,
        // Lifecycle events are few; the bound only guards against a subscriber that never reads.
        (_event, queued) => queued >= 10_000,
      );
    },

    close() {
      closing ??= (async () => {
        const all = [...terminals.values()];
        await Promise.all(all.map((t) => killTree(t)));
        const survivors = all.filter((t) => isProcessAlive(t.info.pid));
        if (survivors.length) logger.warn(`terminals: ${survivors.length} shell(s) still alive after shutdown`);
        terminals.clear();
      })();
      return closing;
    },

    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
}
