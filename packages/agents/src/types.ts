/** Which CLI an agent drives. */
export type CodingAgentType = 'claude-code' | 'codex' | 'opencode';

/** A consola-shaped logger. The package never writes to the console itself. */
export interface AgentLogger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

/** How to run one coding agent. The same shape Band keeps in `settings.json` `codingAgents[]` (minus id/label). */
export interface CodingAgentOptions {
  type: CodingAgentType;
  /** Executable name or path. @default 'claude' | 'codex' | 'opencode' */
  command?: string;
  /** Default model for sessions (a session may override it). */
  model?: string;
  /** Default turn limit (Claude Code `--max-turns`). */
  maxTurns?: number;
  /** Extra environment, merged over `baseEnv` (kept as given, `BAND_*` names included). */
  env?: Record<string, string | undefined>;
  /**
   * Environment the child starts from (also used to search PATH), minus every `BAND_*` variable: an agent never
   * inherits `BAND_TOKEN`, `BAND_HOME` or any other setting of the Band process. @default process.env
   */
  baseEnv?: NodeJS.ProcessEnv;
  logger?: AgentLogger;
  /** After `abort()`, SIGTERM the process group, then SIGKILL it after this long. @default 3_000 */
  killGraceMs?: number;
  /**
   * After the CLI reported its result, give it this long to exit on its own before the process group is
   * killed (Claude Code sometimes stays alive after a `result`, anthropics/claude-code#25629). @default 5_000
   */
  exitAfterResultMs?: number;
  /** Longest accepted stdout line; a longer one becomes an `error` event and is skipped. @default 64 MiB */
  maxLineBytes?: number;
}

/** Agent-neutral modes: `plan` reads only, `edit` may change files. Native mode names pass through. */
export type AgentMode = 'plan' | 'edit' | (string & {});

export interface RunSessionOptions {
  /** Working directory (the workspace's worktree). */
  cwd: string;
  /** Resume this session (Claude Code `--resume`, Codex `thread/resume`, OpenCode `--session`). */
  sessionId?: string;
  model?: string;
  mode?: AgentMode;
  maxTurns?: number;
  /** Aborting it has the effect of `session.abort()`. */
  signal?: AbortSignal;
  /**
   * Send the CLI's permission prompts to the host as `approval-request` events, answered with
   * `session.respond()`. Claude Code: through Band's MCP permission prompt tool (`--permission-prompt-tool`).
   * Codex: its app-server's command and patch approval requests (approval policy `untrusted`; without approvals
   * the policy is `never`). OpenCode ignores it: its CLI exposes no permission events (it runs as its mode allows).
   * @default false
   */
  approvals?: boolean;
  /**
   * Files the user attached to this message (absolute paths). Claude Code: images as image blocks of the message,
   * other files as paths in the prompt (their folders with `--add-dir`). Codex: a `localImage` input per image, other
   * files as paths. OpenCode: every file as a path in the prompt.
   */
  attachments?: readonly AgentAttachment[];
}

/** A file attached to a message. */
export interface AgentAttachment {
  /** Absolute path of the stored file. */
  path: string;
  /** The name the user gave it (shown to the agent). */
  name: string;
  /** `image/png`, `image/jpeg`, `image/gif` or `image/webp` for an image (checked by its bytes); otherwise the declared
   * type. */
  mediaType: string;
  /** `image` only for an image whose bytes match its type; everything else is a `file`. */
  kind: 'image' | 'file';
  size: number;
}

/** Who answered an approval (opaque to this package; Band records the device and the surface). */
export type ApprovalAnswerer = Record<string, string>;

/** The answer to an `approval-request`. */
export type ApprovalDecision =
  | {
      behavior: 'allow';
      /** Run the tool with this input instead of the requested one. */
      updatedInput?: Record<string, unknown>;
      /** `always`: the host will allow this tool for the rest of the chat (recorded on the event). */
      scope?: 'once' | 'always';
      by?: ApprovalAnswerer;
    }
  | {
      behavior: 'deny';
      /** Told to the model as the reason. */
      message?: string;
      scope?: 'once';
      by?: ApprovalAnswerer;
    };

export type SessionStatus = 'success' | 'failed' | 'aborted';

/** One normalised event of a session. Every session ends with exactly one `session-result`. */
export type AgentEvent =
  | { type: 'session-start'; sessionId: string; model?: string; cwd?: string }
  | { type: 'text-delta'; text: string; messageId?: string }
  | { type: 'tool-use'; id: string; name: string; input: unknown }
  | { type: 'tool-result'; id: string; output: string; isError: boolean }
  | {
      type: 'session-result';
      status: SessionStatus;
      sessionId?: string;
      costUsd?: number;
      durationMs?: number;
      numTurns?: number;
      /** Final text of the turn, where the CLI reports it. */
      result?: string;
      /** Why it failed (CLI subtype, exit code, signal). */
      reason?: string;
    }
  | {
      /** The agent waits for permission to run a tool (only with `approvals: true`). */
      type: 'approval-request';
      requestId: string;
      toolName: string;
      /** The tool's input: a command, a file and its new content or edits, a URL... */
      input: unknown;
      toolUseId?: string;
      requestedAt: string;
    }
  | {
      /** An `approval-request` was answered, or denied because the turn was aborted or ended. */
      type: 'approval-resolved';
      requestId: string;
      behavior: 'allow' | 'deny';
      message?: string;
      /** The input the tool runs with when the answer changed it (an `AskUserQuestion` carries the `answers`). */
      updatedInput?: Record<string, unknown>;
      scope?: 'once' | 'always';
      by?: ApprovalAnswerer;
      resolvedAt: string;
    }
  | {
      type: 'error';
      message: string;
      /** 1-based stdout line number for malformed or oversized lines. */
      line?: number;
      /** Redacted tail of the CLI's stderr, when the error is about the process. */
      stderrTail?: string;
    };

export type AgentEventType = AgentEvent['type'];

/** A running (or finished) CLI process. Iterate it once for its events. */
export interface AgentSession extends AsyncIterable<AgentEvent>, AsyncDisposable {
  /** The CLI's session id, once `session-start` was seen (or the resumed id). */
  readonly sessionId: string | undefined;
  /** Process id of the CLI (the leader of its process group). */
  readonly pid: number | undefined;
  /**
   * Kills the whole process tree: SIGTERM to the process group, SIGKILL after `killGraceMs`.
   * Resolves once the group is gone. Idempotent; the event stream ends with `session-result` `aborted`.
   */
  abort(): Promise<void>;
  /** Resolves with the final `session-result` (whether or not anyone iterates). */
  readonly result: Promise<Extract<AgentEvent, { type: 'session-result' }>>;
  /** Same as `abort()`. */
  close(): Promise<void>;
  /**
   * Answers a pending `approval-request` (sessions started with `approvals: true`). Returns false when the
   * request is unknown or already answered: the first answer wins.
   */
  respond(requestId: string, decision: ApprovalDecision): boolean;
  /** The `approval-request`s still waiting for an answer. */
  pendingApprovals(): Array<Extract<AgentEvent, { type: 'approval-request' }>>;
}

export interface CodingAgent {
  readonly type: CodingAgentType;
  /** The executable this agent spawns. */
  readonly command: string;
  /** Starts the CLI with `prompt`. Throws `AgentError` `CLI_NOT_FOUND` when the executable is missing. */
  runSession(prompt: string, options: RunSessionOptions): AgentSession;
}

/** Per-CLI stream parser: one JSON value in, zero or more events out. Never throws. */
export interface LineParser {
  parseLine(value: unknown): AgentEvent[];
}
