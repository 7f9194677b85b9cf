// The terminal service's public contract: what a terminal looks like from outside, what creating one takes, and
// how a viewer (the terminal WebSocket) holds one.
import type * as nodePty from '@lydell/node-pty';
import type { Logger } from '../internal/logger.js';

/** What a terminal looks like from outside (tRPC `terminals.list`, the socket's `attached` message). */
export interface TerminalInfo {
  /** `t_` followed by 10 base36 characters. */
  id: string;
  workspaceId: string;
  /** Absolute working directory the shell started in (inside the worktree). */
  cwd: string;
  /** The command typed into the shell right after spawn, if any. */
  command?: string;
  /** Pid of the shell (the session leader of its process tree). */
  pid: number;
  cols: number;
  rows: number;
  status: 'running' | 'exited';
  /** Set once exited. */
  exitCode?: number;
  /** Signal number that ended the shell, when it was a signal. */
  signal?: number;
  /** Epoch ms. */
  createdAt: number;
  /** Open viewers (WebSockets) right now. */
  viewers: number;
}

export interface CreateTerminalInput {
  workspaceId: string;
  /** Directory relative to the workspace root (or absolute inside it). @default the workspace root */
  cwd?: string;
  /** Typed into the shell right after spawn, followed by Enter; the shell stays when it finishes. */
  command?: string;
  /** @default 120 */
  cols?: number;
  /** @default 32 */
  rows?: number;
}

/** Receives one terminal's output. Replay of the scrollback comes first, as one `data` call. */
export interface TerminalViewer {
  data(chunk: Buffer): void;
  /** Another viewer (or the API) resized the terminal. */
  resize?(cols: number, rows: number): void;
  /** The shell exited (or was killed). No `data` follows. */
  exit(info: { exitCode?: number; signal?: number; wasKilled: boolean }): void;
}

/** A viewer's hold on a terminal. */
export interface TerminalAttachment {
  info: TerminalInfo;
  /** Bytes of scrollback replayed to the viewer on attach. */
  replayedBytes: number;
  detach(): void;
  /** Back-pressure: a slow viewer pauses the PTY (the program blocks on write) until it resumes. */
  pause(): void;
  resume(): void;
}

/** What `terminals.events` streams. */
export type TerminalStreamEvent =
  | { type: 'created'; terminal: TerminalInfo }
  | { type: 'exited'; terminal: TerminalInfo }
  | { type: 'removed'; id: string; workspaceId: string };

export interface TerminalServiceEvents {
  [event: string]: unknown[];
  created: [info: TerminalInfo];
  exited: [info: TerminalInfo];
  removed: [id: string, workspaceId: string];
}

export interface TerminalServiceOptions {
  /** Absolute worktree path of a workspace; throws (NOT_FOUND) for an unknown id. */
  resolveWorkspacePath(workspaceId: string): Promise<string>;
  logger?: Logger;
  /** Environment of the shells. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default env.SHELL, else /bin/bash (cmd.exe on Windows) */
  shell?: string;
  /** @default [] */
  shellArgs?: string[];
  /** Output kept per terminal for replay and `output`. @default 1 MiB */
  scrollbackBytes?: number;
  /** Running terminals one principal may hold (auth.md §3.7). @default 16 */
  maxTerminalsPerOwner?: number;
  /** Exited terminals kept for `output` before the oldest is forgotten. @default 32 */
  maxExitedTerminals?: number;
  /** How long `kill`/`close` wait for the shell to be reaped after SIGKILL. @default 3000 */
  killTimeoutMs?: number;
  /** How long `kill`/`close` wait after SIGHUP (exit traps run) before SIGKILL. A shell that hangs up exits at once;
   * only what ignores SIGHUP, or a trap still starting its `rm` on a very busy machine (2 s was too short at load
   * 16), waits this long. @default 5000 */
  hangupGraceMs?: number;
  /** Injected for tests. @default @lydell/node-pty spawn */
  spawnPty?: typeof nodePty.spawn;
}

export interface TerminalService extends AsyncDisposable {
  list(filter?: { workspaceId?: string }): TerminalInfo[];
  /** Throws NOT_FOUND. */
  get(id: string): TerminalInfo;
  /** Spawns a shell in the workspace. `owner` is the principal key the PTY cap counts under. */
  create(input: CreateTerminalInput, owner?: string): Promise<TerminalInfo>;
  /** Kills the shell with its whole process tree and forgets the terminal. Idempotent for exited ones. */
  kill(id: string): Promise<void>;
  /** Writes input (keystrokes) to the shell. */
  send(id: string, data: string | Buffer): void;
  resize(id: string, cols: number, rows: number): TerminalInfo;
  /** The last `lines` display lines of the scrollback. */
  output(
    id: string,
    options?: { lines?: number; stripAnsi?: boolean },
  ): { id: string; lines: string[]; status: TerminalInfo['status'] };
  /** Replays the scrollback to `viewer`, then streams live output to it. */
  attach(id: string, viewer: TerminalViewer): TerminalAttachment;
  on<K extends keyof TerminalServiceEvents & string>(
    event: K,
    listener: (...args: TerminalServiceEvents[K]) => void,
  ): () => void;
  /**
   * Terminals appearing, exiting and going away (all, or one workspace's), as they happen. Not resumable: a client
   * that reconnects re-reads `list`. Ends when `signal` aborts.
   */
  subscribe(filter?: { workspaceId?: string }, signal?: AbortSignal): AsyncGenerator<TerminalStreamEvent>;
  /** Kills every terminal (process trees included). Idempotent. */
  close(): Promise<void>;
}
