import { type ChildProcess, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import type { ApprovalChannel } from './approval-bridge.js';
import { invalidOptions } from './errors.js';
import { createLineSplitter, type SplitLine } from './line-splitter.js';
import { createStderrBuffer } from './stderr-buffer.js';
import type { AgentEvent, AgentLogger, AgentSession, LineParser } from './types.js';

type ResultEvent = Extract<AgentEvent, { type: 'session-result' }>;

export interface AgentProcessOptions {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed. Without it (and without `protocol`) stdin is closed at once. */
  stdin?: string;
  /** A CLI that talks both ways over stdio (Codex app-server): stdin stays open for the protocol's messages. */
  protocol?: StdioProtocol;
  parser: LineParser;
  logger: AgentLogger;
  killGraceMs: number;
  exitAfterResultMs: number;
  maxLineBytes: number;
  /** Known before the CLI says so (a resumed session). */
  sessionId?: string;
  signal?: AbortSignal;
  /** Pause stdout while this many events wait for the consumer. @default 2_000 */
  highWaterMark?: number;
  /** The turn's approval channel (closed with the session). */
  approvals?: ApprovalChannel;
}

/** The host side of a JSON-RPC-over-stdio CLI: it writes requests and answers; the CLI's lines go to the parser. */
export interface StdioProtocol {
  /** Called once the CLI is spawned. `send` writes one line to its stdin, `end` closes stdin (the CLI then exits). */
  start(io: { send(line: string): void; end(): void }): void;
}

const noop = () => {};

function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

function groupAlive(pid: number): boolean {
  return killGroup(pid, 0 as unknown as NodeJS.Signals);
}

/**
 * Spawns one CLI run in its own process group and turns its stdout into `AgentEvent`s.
 * Guarantees: parsing never throws (bad lines become `error` events with their line number), the stream
 * always ends with exactly one `session-result`, a crash adds an `error` with the redacted stderr tail,
 * and `abort()` leaves no process of the group alive.
 */
export function startAgentProcess(options: AgentProcessOptions): AgentSession {
  try {
    if (!statSync(options.cwd).isDirectory()) throw new Error('not a directory');
  } catch {
    throw invalidOptions(
      `Working directory does not exist: ${options.cwd}`,
      'Pass the workspace worktree path as cwd.',
    );
  }
  const { logger, parser } = options;
  const highWater = options.highWaterMark ?? 2_000;
  const splitter = createLineSplitter({ maxLineChars: options.maxLineBytes });
  const stderr = createStderrBuffer();
  const queue: AgentEvent[] = [];
  let wake: (() => void) | undefined;
  let sessionId = options.sessionId;
  let finalResult: ResultEvent | undefined;
  let finished = false;
  let aborted = false;
  let exited = false;
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } = { code: null, signal: null };
  let spawnError: Error | undefined;
  let resultTimer: NodeJS.Timeout | undefined;
  let paused = false;
  let resolveResult!: (r: ResultEvent) => void;
  const result = new Promise<ResultEvent>((resolve) => (resolveResult = resolve));
  let resolveExit!: () => void;
  const exitPromise = new Promise<void>((resolve) => (resolveExit = resolve));

  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      detached: true, // own process group: abort() kills the whole tree
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (error) {
    options.approvals?.close();
    throw error;
  }
  const pid = child.pid;
  logger.debug(`agent: spawned ${options.command} pid=${pid ?? '?'}`);

  function push(event: AgentEvent) {
    if (finished) return;
    if (event.type === 'session-result') {
      if (finalResult) return; // exactly one per session
      // A CLI that outlives SIGTERM long enough to report (Claude Code finishing its turn when its MCP server died)
      // was still aborted by the user.
      if (aborted) event = { ...event, status: 'aborted', reason: 'aborted' };
      finalResult = { ...event, sessionId: event.sessionId ?? sessionId };
      event = finalResult;
      // Some CLIs linger after reporting (claude-code#25629): give them a moment, then end the group.
      resultTimer = setTimeout(() => {
        if (!exited && pid) {
          logger.debug(`agent: pid=${pid} still alive ${options.exitAfterResultMs} ms after its result; killing`);
          void terminate();
        }
      }, options.exitAfterResultMs);
      resultTimer.unref?.();
    } else if (event.type === 'session-start') {
      sessionId = event.sessionId;
    }
    queue.push(event);
    if (queue.length >= highWater && !paused) {
      paused = true;
      child.stdout?.pause();
    }
    wake?.();
  }

  function handleLines(lines: SplitLine[]) {
    for (const line of lines) {
      if (line.kind === 'oversized') {
        push({
          type: 'error',
          message: `Output line ${line.line} too long (${line.bytes} characters); skipped`,
          line: line.line,
        });
        continue;
      }
      const text = line.text.trim();
      if (text === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        push({ type: 'error', message: `Malformed output line ${line.line}: ${text.slice(0, 200)}`, line: line.line });
        continue;
      }
      let events: AgentEvent[];
      try {
        events = parser.parseLine(value);
      } catch (error) {
        events = [
          {
            type: 'error',
            message: `Could not interpret output line ${line.line}: ${(error as Error).message}`,
            line: line.line,
          },
        ];
      }
      for (const event of events) push(event);
    }
  }

  child.stdout?.on('data', (chunk: Buffer) => handleLines(splitter.push(chunk)));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdin?.on('error', noop); // EPIPE when the CLI dies before reading its prompt
  if (options.protocol) {
    const stdin = child.stdin;
    options.protocol.start({
      send: (line) => {
        if (stdin?.writable && !stdin.writableEnded) stdin.write(`${line}\n`);
      },
      end: () => stdin?.end(),
    });
  } else if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  else child.stdin?.end();

  let stdoutClosed = false;
  child.stdout?.once('close', () => {
    stdoutClosed = true;
    maybeFinish();
  });
  child.once('error', (error) => {
    spawnError = error;
    exited = true;
    stdoutClosed = true;
    resolveExit();
    maybeFinish();
  });
  child.once('exit', (code, signal) => {
    exited = true;
    exitInfo = { code, signal };
    resolveExit();
    // A grandchild may keep the pipe open; don't wait for it forever.
    setTimeout(() => {
      if (!stdoutClosed) {
        child.stdout?.destroy();
        stdoutClosed = true;
        maybeFinish();
      }
    }, 1_000).unref?.();
    maybeFinish();
  });

  function maybeFinish() {
    if (finished || !exited || !stdoutClosed) return;
    // After a kill, the stream ends only once the whole group is gone (not just its leader).
    if (terminating && !terminated) {
      void terminating.then(maybeFinish);
      return;
    }
    handleLines(splitter.end());
    // Whatever still waits for an answer is denied before the final event (nobody can answer it any more).
    options.approvals?.close();
    if (!finalResult) {
      const tail = stderr.tail();
      if (aborted) {
        push({ type: 'session-result', status: 'aborted', reason: 'aborted' });
      } else if (spawnError) {
        push({
          type: 'error',
          message: `Could not start ${options.command}: ${spawnError.message}`,
          stderrTail: tail || undefined,
        });
        push({ type: 'session-result', status: 'failed', reason: 'spawn-failed' });
      } else if (exitInfo.code === 0) {
        push({ type: 'session-result', status: 'success', reason: 'exited without a result' });
      } else {
        const how = exitInfo.signal ? `was killed by ${exitInfo.signal}` : `exited with code ${exitInfo.code}`;
        push({ type: 'error', message: `${options.command} ${how} before finishing`, stderrTail: tail || undefined });
        push({ type: 'session-result', status: 'failed', reason: exitInfo.signal ?? `exit ${exitInfo.code}` });
      }
    }
    finished = true;
    if (resultTimer) clearTimeout(resultTimer);
    options.signal?.removeEventListener('abort', onSignal);
    resolveResult(finalResult!);
    wake?.();
  }

  let terminating: Promise<void> | undefined;
  let terminated = false;
  /** SIGTERM the group, SIGKILL what is left after the grace period, resolve once the group is gone. */
  function terminate(): Promise<void> {
    terminating ??= (async () => {
      if (!pid) return;
      killGroup(pid, 'SIGTERM');
      const deadline = Date.now() + options.killGraceMs;
      await Promise.race([exitPromise, new Promise((r) => setTimeout(r, options.killGraceMs).unref?.())]);
      while (groupAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      if (groupAlive(pid)) {
        logger.debug(`agent: pid=${pid} ignored SIGTERM; sending SIGKILL`);
        killGroup(pid, 'SIGKILL');
      }
      const hardDeadline = Date.now() + 2_000;
      while (groupAlive(pid) && Date.now() < hardDeadline) await new Promise((r) => setTimeout(r, 10));
      await exitPromise;
    })().finally(() => {
      terminated = true;
    });
    return terminating;
  }

  let aborting: Promise<void> | undefined;
  function abort(): Promise<void> {
    aborting ??= (async () => {
      if (finished && !(pid && groupAlive(pid))) return;
      if (!finalResult) aborted = true;
      // Pending approvals resolve as denied, recorded in the stream, before the process group goes.
      options.approvals?.denyAll('The turn was aborted.', { via: 'abort' }, { silent: true });
      await terminate();
      await result;
    })();
    return aborting;
  }

  options.approvals?.attach(push);

  const onSignal = () => void abort();
  if (options.signal?.aborted) queueMicrotask(onSignal);
  else options.signal?.addEventListener('abort', onSignal, { once: true });

  let iterated = false;
  async function* iterate(): AsyncGenerator<AgentEvent> {
    if (iterated) throw new Error('An AgentSession can be iterated only once');
    iterated = true;
    try {
      for (;;) {
        const event = queue.shift();
        if (event) {
          if (paused && queue.length < highWater / 2) {
            paused = false;
            child.stdout?.resume();
          }
          yield event;
          continue;
        }
        if (finished) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      // A consumer that stops early must not leave a paused CLI behind.
      if (!finished) void abort();
    }
  }

  return {
    get sessionId() {
      return sessionId;
    },
    pid,
    abort,
    close: abort,
    result,
    respond: (requestId, decision) => options.approvals?.respond(requestId, decision) ?? false,
    pendingApprovals: () => options.approvals?.pending() ?? [],
    [Symbol.asyncIterator]: iterate,
    [Symbol.asyncDispose]: abort,
  };
}
