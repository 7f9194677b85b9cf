// Records as the repositories return them. Timestamps are ISO 8601 strings (UTC); nullable columns are `null`.

/** A registered git repository. */
export interface Project {
  /** `prj_…` */
  id: string;
  /** Unique; the CLI key (`band workspaces create <project> <branch>`). */
  name: string;
  /** Absolute path of the repository's working tree. */
  path: string;
  defaultBranch: string;
  createdAt: string;
}

/** Lifecycle of a workspace's worktree. */
export type WorkspaceStatus = 'creating' | 'ready' | 'removing' | 'error';

/** The `.band/config.json` `setup` command's state: `none` when there is no setup command. */
export type SetupStatus = 'none' | 'running' | 'completed' | 'failed';

/** What `workspaces create --prompt/--agent/--model/--mode` asked for; the chats service consumes it. */
export interface InitialRequest {
  prompt?: string;
  agent?: string;
  model?: string;
  mode?: string;
  maxTurns?: number;
}

/** A git worktree on its own branch. */
export interface Workspace {
  /** `ws_…` */
  id: string;
  projectId: string;
  branch: string;
  baseBranch: string;
  /** Absolute path of the worktree. */
  path: string;
  status: WorkspaceStatus;
  setupStatus: SetupStatus;
  /** Combined stdout+stderr of setup (capped by the writer). */
  setupOutput: string;
  setupExitCode: number | null;
  /** The workspace's active chat panel (`band chats send` without a chat id targets it). */
  activeChatId: string | null;
  initialRequest: InitialRequest | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * Agent status of a chat (band-docs §2.6): `waiting` (idle, nothing new), `working` (a turn runs), `done` (a turn
 * finished and the user has not looked yet: unread), `needs-attention` (needs the user's answer: a pending
 * approval, a question the agent asked, or a failed turn).
 */
export type ChatStatus = 'waiting' | 'working' | 'done' | 'needs-attention';

/** An agent session bound to a workspace. */
export interface Chat {
  /** `chat_…` */
  id: string;
  workspaceId: string;
  /** An id from settings `codingAgents` (e.g. `claude-code`). */
  agentId: string;
  model: string | null;
  mode: string | null;
  /** The agent CLI's own session id, for resume. */
  agentSessionId: string | null;
  title: string;
  status: ChatStatus;
  /** Sequence number of the last stored event (0 when none). */
  lastSeq: number;
  createdAt: string;
  updatedAt: string;
}

export type TurnStatus = 'queued' | 'running' | 'done' | 'failed' | 'aborted';

/** One prompt run by the agent of a chat (a "task"). */
export interface Turn {
  /** `turn_…` */
  id: string;
  chatId: string;
  prompt: string;
  status: TurnStatus;
  error: string | null;
  costUsd: number | null;
  durationMs: number | null;
  /** Agent-reported number of model turns. */
  numTurns: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** Anything with a `type` can be stored as a chat event (the chats service stores `AgentEvent`s and its own). */
export interface ChatEventInput {
  type: string;
  [field: string]: unknown;
}

/** A stored chat event. `seq` is per chat, starts at 1 and only grows. */
export interface ChatEventRecord<E = ChatEventInput> {
  chatId: string;
  seq: number;
  turnId: string | null;
  type: string;
  /** The event exactly as appended (JSON round-trip). */
  event: E;
  createdAt: string;
}
