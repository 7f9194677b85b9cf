import { AgentError, type AgentEvent, type AgentSession, type CodingAgent, createCodingAgent } from '@band/agents';
import type { CodingAgentConfig, SettingsStore } from '@band/settings';
import type { Chat, ChatEventInput, ChatEventRecord, ChatStatus, Store, Turn } from '@band/store';
import { BandApiError, notFound } from '../errors.js';
import type { TypedEmitter } from '../events.js';
import type { Logger } from '../internal/logger.js';
import { fillDetectedCodingAgents } from './agent-detection.js';
import { createAgentPidRegistry } from './agent-pids.js';
import {
  type AnswerApprovalInput,
  type AnswerApprovalResult,
  type ApprovalAnswerer,
  createApprovalRegistry,
  type DeviceAnswer,
  type PendingApproval,
} from './approvals.js';
import { type ChatBatchLimits, streamChatEventBatches } from './chat-stream.js';
import { createWakeup } from './wakeup.js';
import type { Attachment, StoredAttachment, UploadService } from '../uploads/upload-service.js';

/** Agent status of a workspace (band-docs §2.6). */
export type AgentStatus = ChatStatus;

/**
 * Events the chats service adds to a chat's log besides the agent's own `AgentEvent`s:
 * - `user-message` when a message is sent (also while it waits in the queue),
 * - `turn-start` when its turn starts running, `turn-end` when it ends (`done` / `failed` / `aborted`; a queued
 *   message the user discarded ends `aborted` with the error `discarded`),
 * - `queue-paused` when Stop held the queued messages (they wait for `resume`), `queue-resumed` when the user
 *   released them (send now). Both have no turn of their own (`turnId` null in the envelope).
 */
export type ChatServiceEvent =
  | {
      type: 'user-message';
      turnId: string;
      text: string;
      queued: boolean;
      /** Files sent with the message (uploaded first with `uploads.create`); absent when none. */
      attachments?: MessageAttachment[];
    }
  | { type: 'turn-start'; turnId: string; agentId: string; model: string | null; mode: string | null }
  | { type: 'turn-end'; turnId: string; status: 'done' | 'failed' | 'aborted'; error?: string }
  | { type: 'queue-paused'; turnIds: string[] }
  | { type: 'queue-resumed'; turnIds: string[] };

/** An attachment as a message records it (history shows it). */
export type MessageAttachment = Pick<Attachment, 'id' | 'name' | 'size' | 'mediaType'>;

/** Everything in a chat's event log. */
export type ChatEvent = AgentEvent | ChatServiceEvent;

/** A stored chat event as streamed to subscribers: `seq` is per chat, starts at 1, has no gaps. */
export type ChatEventEnvelope = ChatEventRecord<ChatEvent>;

/** What the chats service publishes on the shared bus (merged into `BandEvents`). */
export type ChatBusEvents = {
  /** One event was appended to a chat's log (already stored: its seq is final). */
  'chat.event': [event: ChatEventEnvelope];
  'workspace.status': [workspaceId: string, status: AgentStatus];
};

export interface CreateChatInput {
  workspaceId: string;
  /** An id from settings `codingAgents`. @default settings.defaultCodingAgent, else the first entry */
  agent?: string;
  model?: string;
  /** `plan` / `edit` (or an agent's native mode). @default 'edit' */
  mode?: string;
  name?: string;
}

export interface SendInput {
  /** Without it, the workspace's active chat (created when the workspace has none). */
  chatId?: string;
  workspaceId?: string;
  message: string;
  /** Ids from `uploads.create` for the chat's workspace (at most 10), handed to the agent with the message. */
  attachmentIds?: readonly string[];
}

export interface SendResult {
  chat: Chat;
  turn: Turn;
  /** True when another turn was running: this one starts when it ends. */
  queued: boolean;
}

export interface AbortInput {
  chatId: string;
  /**
   * Also drop the messages waiting in the queue (their turns end `aborted`). Without it they stay queued,
   * paused: none starts until `resume` (send now) releases it, or `discard` drops it. @default false
   */
  clearQueue?: boolean;
}

export interface ResumeInput {
  chatId: string;
  /** Release only this queued message (send now); without it, every paused one, in order. */
  turnId?: string;
}

export interface ResumeResult {
  /** The queued turns released (they run in order, after a running turn if any). */
  resumedTurnIds: string[];
}

export interface DiscardInput {
  chatId: string;
  /** A queued message of the chat. */
  turnId: string;
}

export interface AbortResult {
  /** The turn that was running and is now aborted, if any. */
  abortedTurnId: string | null;
  /** Queued turns dropped (`clearQueue`). */
  clearedTurnIds: string[];
  /** Queued turns now paused (without `clearQueue`): they wait for `resume` or `discard`. */
  pausedTurnIds: string[];
}

export interface ChatHistory {
  chat: Chat;
  /** The chat's turns; for a backward page (`beforeSeq`), only the turns its events belong to. */
  turns: Turn[];
  /** One page, oldest first: events after `afterSeq`, or the newest ones before `beforeSeq`. */
  events: ChatEventEnvelope[];
  /** The chat's last seq: more pages exist while the last returned seq is below it. */
  lastSeq: number;
}

export interface ChatService {
  /** Fills `codingAgents` from PATH on first launch and closes turns a previous server left running. */
  start(): Promise<void>;
  create(input: CreateChatInput): Chat;
  list(input?: { workspaceId?: string }): Chat[];
  /** By id or unique id prefix. */
  get(chatId: string): Chat;
  /** Starts a turn, or queues it while one runs (one running turn per chat). */
  send(input: SendInput): SendResult;
  /**
   * Stop: pauses the queue (or clears it), aborts the running turn (the agent's whole process tree) and
   * resolves once it is recorded.
   */
  abort(input: AbortInput): Promise<AbortResult>;
  /** Releases paused queued messages (send now): they start in order once nothing runs. */
  resume(input: ResumeInput): ResumeResult;
  /** Drops a queued message before it runs (its turn ends `aborted`, error `discarded`). */
  discard(input: DiscardInput): { discardedTurnId: string };
  /**
   * One page of a chat's events: after `afterSeq` (forward), or the `limit` newest before `beforeSeq` (backward,
   * to open a long chat at its end and load older pages on demand). Oldest first either way.
   */
  history(input: { chatId: string; afterSeq?: number; beforeSeq?: number; limit?: number }): ChatHistory;
  /**
   * A chat's events after `afterSeq`: subscribes first, backfills from SQLite, dedupes, then goes live.
   * Every event is yielded exactly once, in seq order, whatever the timing. Ends when `signal` aborts.
   */
  subscribe(input: { chatId: string; afterSeq?: number }, signal?: AbortSignal): AsyncGenerator<ChatEventEnvelope>;
  /**
   * The same events as `subscribe`, in batches: each batch is everything that arrived since the previous one
   * (within `limits`), in seq order. What `chats.eventBatches` sends, one WebSocket frame per batch.
   */
  subscribeBatches(
    input: { chatId: string; afterSeq?: number },
    signal?: AbortSignal,
    limits?: ChatBatchLimits,
  ): AsyncGenerator<ChatEventEnvelope[]>;
  /** Pending approval requests (issue 20) of one chat, or of every chat; oldest first. */
  approvals(input?: { chatId?: string }): PendingApproval[];
  /** allow / always (this tool, rest of the chat) / deny with a message. First answer wins: `ALREADY_ANSWERED`. */
  answerApproval(input: AnswerApprovalInput, by: ApprovalAnswerer): AnswerApprovalResult;
  /** Per browser session, its last approval answer (Mobile Access devices list). */
  approvalAnswersByDevice(): DeviceAnswer[];
  /** Current agent status of every workspace, then each change. Ends when `signal` aborts. */
  subscribeStatuses(signal?: AbortSignal): AsyncGenerator<{ workspaceId: string; status: AgentStatus }>;
  /** The most urgent status of the workspace's chats: needs-attention, then working, then done, else waiting. */
  workspaceStatus(workspaceId: string): AgentStatus;
  /**
   * The user has seen the workspace: `done` and `needs-attention` chats go back to waiting, except while an
   * approval is pending (seeing a request is not answering it). Returns the new status.
   */
  markSeen(workspaceId: string): AgentStatus;
  /**
   * Runs a workspace's stored initial request (`workspaces create --prompt`): creates a chat with its
   * agent/model/mode, sends the prompt and clears the request. Returns undefined when there is none.
   */
  runInitialRequest(workspaceId: string): SendResult | undefined;
  /** Aborts every running agent and waits for them. Idempotent. */
  close(): Promise<void>;
}

export interface ChatServiceDeps {
  store: Store;
  settings: SettingsStore;
  events: TypedEmitter<ChatBusEvents>;
  logger: Logger;
  /** BAND_HOME (for the first-launch detection marker). */
  home: string;
  /** Environment for agent processes and PATH lookups. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Builds the agent for a `codingAgents` entry; tests inject fake or offline CLIs here. */
  createAgent?: (config: CodingAgentConfig) => CodingAgent;
  /** Resolves `attachmentIds`; without it a message with attachments is refused. */
  uploads?: UploadService;
}

const MAX_MESSAGE_CHARS = 200_000;
/** Tools that stop and wait for the user (band-docs §2.5). */
const ATTENTION_TOOLS = new Set(['AskUserQuestion', 'ExitPlanMode']);

interface RunningTurn {
  turn: Turn;
  session?: AgentSession;
  done: Promise<void>;
  abortRequested: boolean;
}

export function createChatService(deps: ChatServiceDeps): ChatService {
  const { store, settings, events, logger } = deps;
  const env = deps.env ?? process.env;
  const createAgent =
    deps.createAgent ??
    ((config: CodingAgentConfig) =>
      createCodingAgent({
        type: config.type,
        command: config.command,
        model: config.model,
        maxTurns: config.maxTurns,
        baseEnv: env,
        logger,
      }));
  const running = new Map<string, RunningTurn>();
  const approvals = createApprovalRegistry({ store });
  // Agents run in their own process groups (so abort kills their tools too); if this server dies hard, the
  // next one kills what it left (start()).
  const pids = createAgentPidRegistry(deps.home, logger);
  const publishedStatus = new Map<string, AgentStatus>();
  /** Per chat, the queued turns a Stop paused: they do not start until resumed (in memory: a restart aborts queued turns anyway). */
  const held = new Map<string, Set<string>>();
  /** Per turn, the files sent with its message (until it starts: a restart aborts queued turns anyway). */
  const turnAttachments = new Map<string, StoredAttachment[]>();
  let closed = false;

  // --- lookups ---
  function getChat(chatId: string): Chat {
    const exact = store.chats.get(chatId);
    if (exact) return exact;
    const matches = chatId.length >= 4 ? store.chats.findByIdPrefix(chatId) : [];
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      throw new BandApiError('INVALID_INPUT', `Chat id prefix is ambiguous: ${chatId}`, {
        reason: 'CHAT_ID_AMBIGUOUS',
        hint: 'Type more characters of the id.',
      });
    }
    throw notFound('chat', chatId);
  }

  function getWorkspace(workspaceId: string) {
    const ws =
      store.workspaces.get(workspaceId) ??
      (workspaceId.length >= 4 ? single(store.workspaces.findByIdPrefix(workspaceId)) : undefined);
    if (!ws) throw notFound('workspace', workspaceId);
    return ws;
  }

  function agentConfig(agentId: string): CodingAgentConfig | undefined {
    return settings.get().codingAgents.find((a) => a.id === agentId);
  }

  // --- event log ---
  // Agent events are written in batches: everything parsed from one stdout read goes into SQLite in one
  // transaction at the end of the tick (one commit instead of one per line), then is published in seq order.
  const pending = new Map<string, { turnId: string | null; events: ChatEvent[] }>();
  let flushScheduled = false;

  /** Publishes stored events as stored (seq and createdAt from band.db), so live equals what a backfill reads. */
  function publish(records: readonly ChatEventEnvelope[]) {
    for (const record of records) events.emit('chat.event', record);
  }

  function flush(chatId: string) {
    const batch = pending.get(chatId);
    if (!batch) return;
    pending.delete(chatId);
    if (!store.isOpen) return;
    publish(
      store.chatEvents.appendRecords(
        chatId,
        batch.turnId,
        batch.events as unknown as ChatEventInput[],
      ) as unknown as ChatEventEnvelope[],
    );
  }

  function flushAll() {
    flushScheduled = false;
    for (const chatId of [...pending.keys()]) {
      try {
        flush(chatId);
      } catch (error) {
        logger.error(`chat ${chatId}: could not store events: ${(error as Error).message}`);
        // The chat was deleted under a running agent: stop it, nobody can see its output any more.
        if (store.isOpen && !store.chats.get(chatId)) void running.get(chatId)?.session?.abort();
      }
    }
  }

  /** Queues an agent event for the next batch write. */
  function enqueue(chatId: string, turnId: string | null, event: ChatEvent) {
    let batch = pending.get(chatId);
    if (batch && batch.turnId !== turnId) {
      flush(chatId);
      batch = undefined;
    }
    if (!batch) pending.set(chatId, (batch = { turnId, events: [] }));
    batch.events.push(event);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushAll);
    }
  }

  /** Stores one event now (after anything queued for the chat, so seq order is send order) and publishes it. */
  function append(chatId: string, turnId: string | null, event: ChatEvent): void {
    if (event.type === 'turn-end') turnAttachments.delete(event.turnId); // discarded or cleared before it ran
    flush(chatId);
    publish(
      store.chatEvents.appendRecords(chatId, turnId, [
        event as unknown as ChatEventInput,
      ]) as unknown as ChatEventEnvelope[],
    );
  }

  // --- status ---
  // A workspace shows its most urgent chat: an answer the user owes beats a running turn, which beats unread.
  const URGENCY: readonly AgentStatus[] = ['needs-attention', 'working', 'done'];
  function aggregate(workspaceId: string): AgentStatus {
    const chats = store.chats.list(workspaceId);
    return URGENCY.find((status) => chats.some((c) => c.status === status)) ?? 'waiting';
  }

  function setChatStatus(chat: Chat, status: AgentStatus) {
    if (store.chats.get(chat.id)?.status !== status) store.chats.update(chat.id, { status });
    const next = aggregate(chat.workspaceId);
    if (publishedStatus.get(chat.workspaceId) !== next) {
      publishedStatus.set(chat.workspaceId, next);
      events.emit('workspace.status', chat.workspaceId, next);
    }
  }

  // --- turns ---
  function pump(chatId: string) {
    if (closed || running.has(chatId)) return;
    const turn = store.turns.startNext(chatId, held.get(chatId));
    if (!turn) return;
    const entry: RunningTurn = { turn, done: Promise.resolve(), abortRequested: false };
    running.set(chatId, entry);
    entry.done = runTurn(chatId, entry)
      .catch((error) => {
        const message = `turn crashed: ${(error as Error).message}`;
        logger.error(`chat ${chatId}: ${turn.id} ${message}`);
        void entry.session?.abort();
        // Never leave a turn "running" in band.db because of an internal error (e.g. the chat was deleted).
        try {
          if (entry.session?.pid) pids.remove(entry.session.pid);
          if (store.isOpen && store.turns.finish(turn.id, 'failed', { error: message })) {
            append(chatId, turn.id, { type: 'turn-end', turnId: turn.id, status: 'failed', error: message });
          }
        } catch {
          // the chat is gone; nothing left to record
        }
      })
      .finally(() => {
        running.delete(chatId);
        pump(chatId);
      });
  }

  async function runTurn(chatId: string, entry: RunningTurn) {
    const { turn } = entry;
    let chat = store.chats.get(chatId);
    if (!chat) return;
    const workspace = store.workspaces.get(chat.workspaceId);
    append(chatId, turn.id, {
      type: 'turn-start',
      turnId: turn.id,
      agentId: chat.agentId,
      model: chat.model,
      mode: chat.mode,
    });
    setChatStatus(chat, 'working');

    const fail = (message: string, hint?: string) => {
      append(chatId, turn.id, { type: 'error', message: hint ? `${message}. ${hint}` : message });
      append(chatId, turn.id, { type: 'session-result', status: 'failed', reason: message });
      store.turns.finish(turn.id, 'failed', { error: message });
      append(chatId, turn.id, { type: 'turn-end', turnId: turn.id, status: 'failed', error: message });
      setChatStatus(chat!, 'needs-attention');
    };

    if (!workspace) return fail(`Workspace ${chat.workspaceId} no longer exists`);
    const config = agentConfig(chat.agentId);
    if (!config) {
      return fail(
        `Coding agent "${chat.agentId}" is not configured`,
        'Add it to codingAgents in settings (band settings), or pick another agent for this chat.',
      );
    }
    let session: AgentSession;
    const attachments = turnAttachments.get(turn.id);
    turnAttachments.delete(turn.id);
    try {
      session = createAgent(config).runSession(turn.prompt, {
        attachments: attachments?.map(({ path, name, mediaType, kind, size }) => ({
          path,
          name,
          mediaType,
          kind,
          size,
        })),
        cwd: workspace.path,
        sessionId: chat.agentSessionId ?? undefined,
        model: chat.model ?? config.model,
        mode: chat.mode ?? undefined,
        maxTurns: config.maxTurns,
        // Permission prompts come to the user (dashboard, phone, CLI) instead of being refused (issue 20).
        approvals: true,
      });
    } catch (error) {
      const e = error as AgentError;
      return fail(e.message, e instanceof AgentError ? e.hint : undefined);
    }
    entry.session = session;
    if (session.pid) pids.add(session.pid);
    if (entry.abortRequested) void session.abort();

    const started = Date.now();
    let result: Extract<AgentEvent, { type: 'session-result' }> | undefined;
    let lastError: string | undefined;
    let asked = false; // the agent asked the user something (AskUserQuestion, ExitPlanMode): answered by the next message
    for await (const event of session) {
      if (!store.isOpen) break;
      enqueue(chatId, turn.id, event);
      switch (event.type) {
        case 'session-start':
          if (event.sessionId !== chat.agentSessionId)
            chat = store.chats.update(chatId, { agentSessionId: event.sessionId }) ?? chat;
          break;
        case 'tool-use':
          if (ATTENTION_TOOLS.has(event.name)) {
            asked = true;
            setChatStatus(chat, 'needs-attention');
          }
          break;
        case 'tool-result':
          if (store.chats.get(chatId)?.status === 'needs-attention' && !approvals.hasPending(chatId))
            setChatStatus(chat, 'working');
          break;
        case 'approval-request':
          if (!approvals.requested(event, { chatId, workspaceId: chat.workspaceId, turnId: turn.id, session }))
            setChatStatus(chat, 'needs-attention');
          break;
        case 'approval-resolved':
          approvals.resolved(event);
          if (!approvals.hasPending(chatId) && store.chats.get(chatId)?.status === 'needs-attention')
            setChatStatus(chat, 'working');
          break;
        case 'error':
          lastError = event.message;
          break;
        case 'session-result':
          result = event;
          break;
      }
    }
    if (session.pid) pids.remove(session.pid);
    if (!store.isOpen) return;
    flush(chatId);
    const status = !result || result.status === 'failed' ? 'failed' : result.status === 'aborted' ? 'aborted' : 'done';
    const error =
      status === 'failed'
        ? (lastError ?? result?.reason ?? 'the agent failed')
        : status === 'aborted'
          ? 'aborted'
          : undefined;
    store.turns.finish(turn.id, status, {
      error,
      costUsd: result?.costUsd,
      durationMs: result?.durationMs ?? Date.now() - started,
      numTurns: result?.numTurns,
    });
    append(chatId, turn.id, { type: 'turn-end', turnId: turn.id, status, ...(error ? { error } : {}) });
    const more = !closed && store.turns.queued(chatId).some((t) => !held.get(chatId)?.has(t.id));
    // Aborted by the user: they already know. Failed, or the agent asked something: it needs the user's answer
    // (retry, fix the agent, reply). Finished: done, unread until the user looks.
    if (!more)
      setChatStatus(chat, status === 'aborted' ? 'waiting' : status === 'failed' || asked ? 'needs-attention' : 'done');
  }

  function createChat(input: CreateChatInput): Chat {
    const workspace = getWorkspace(input.workspaceId);
    const s = settings.get();
    const agentId = input.agent ?? s.defaultCodingAgent ?? s.codingAgents[0]?.id;
    if (!agentId) {
      throw new BandApiError('PRECONDITION_FAILED', 'No coding agent is configured', {
        reason: 'NO_CODING_AGENT',
        hint: 'Install one (npm i -g @anthropic-ai/claude-code, @openai/codex or opencode-ai) and restart Band, or add it to codingAgents in settings.',
      });
    }
    const config = agentConfig(agentId);
    if (!config) {
      throw new BandApiError('INVALID_INPUT', `Unknown coding agent: ${agentId}`, {
        reason: 'UNKNOWN_CODING_AGENT',
        hint: `Configured agents: ${s.codingAgents.map((a) => a.id).join(', ') || 'none'}.`,
      });
    }
    const chat = store.chats.create({
      workspaceId: workspace.id,
      agentId,
      model: input.model ?? config.model ?? null,
      // Headless agents cannot ask for permission: without a mode, Claude Code would refuse every edit.
      mode: input.mode ?? 'edit',
      title: input.name ?? '',
    });
    store.workspaces.update(workspace.id, { activeChatId: chat.id });
    return chat;
  }

  /** The message's attachments: every id must be an upload of the chat's own workspace. */
  function resolveAttachments(workspaceId: string, ids: readonly string[]): StoredAttachment[] {
    if (ids.length === 0) return [];
    if (!deps.uploads)
      throw new BandApiError('UNAVAILABLE', 'Attachments are not available on this server', {
        reason: 'UPLOADS_UNAVAILABLE',
      });
    return deps.uploads.resolve(workspaceId, [...new Set(ids)]);
  }

  function send(input: SendInput): SendResult {
    if (closed) throw new BandApiError('UNAVAILABLE', 'The server is shutting down', { reason: 'SHUTTING_DOWN' });
    const message = input.message;
    if (typeof message !== 'string' || message.trim() === '')
      throw new BandApiError('INVALID_INPUT', 'The message is empty', { reason: 'EMPTY_MESSAGE' });
    if (message.length > MAX_MESSAGE_CHARS)
      throw new BandApiError('INVALID_INPUT', `The message is longer than ${MAX_MESSAGE_CHARS} characters`, {
        reason: 'MESSAGE_TOO_LONG',
      });
    let chat: Chat;
    if (input.chatId) {
      chat = getChat(input.chatId);
    } else if (input.workspaceId) {
      const ws = getWorkspace(input.workspaceId);
      const active = ws.activeChatId ? store.chats.get(ws.activeChatId) : undefined;
      chat = active ?? store.chats.list(ws.id).at(-1) ?? createChat({ workspaceId: ws.id });
    } else {
      throw new BandApiError('INVALID_INPUT', 'Give a chat id or a workspace id', { reason: 'NO_TARGET' });
    }
    const workspace = store.workspaces.get(chat.workspaceId);
    if (workspace && workspace.status !== 'ready') {
      throw new BandApiError('PRECONDITION_FAILED', `Workspace ${workspace.id} is ${workspace.status}`, {
        reason: 'WORKSPACE_NOT_READY',
        hint: workspace.status === 'creating' ? 'Wait until the worktree is created.' : 'Recreate the workspace.',
      });
    }
    const attachments = resolveAttachments(chat.workspaceId, input.attachmentIds ?? []);
    if (!chat.title) chat = store.chats.update(chat.id, { title: message.trim().split('\n')[0]!.slice(0, 80) }) ?? chat;
    const turn = store.turns.create({ chatId: chat.id, prompt: message });
    const queued = running.has(chat.id) || closed;
    if (attachments.length > 0) turnAttachments.set(turn.id, attachments);
    append(chat.id, turn.id, {
      type: 'user-message',
      turnId: turn.id,
      text: message,
      queued,
      ...(attachments.length > 0
        ? { attachments: attachments.map(({ id, name, size, mediaType }) => ({ id, name, size, mediaType })) }
        : {}),
    });
    pump(chat.id);
    return { chat: store.chats.get(chat.id) ?? chat, turn: store.turns.get(turn.id) ?? turn, queued };
  }

  async function abort(input: AbortInput): Promise<AbortResult> {
    const chat = getChat(input.chatId);
    const clearedTurnIds: string[] = [];
    if (input.clearQueue) {
      for (const turn of store.turns.queued(chat.id)) {
        if (store.turns.finish(turn.id, 'aborted', { error: 'cleared from the queue' })) {
          append(chat.id, turn.id, {
            type: 'turn-end',
            turnId: turn.id,
            status: 'aborted',
            error: 'cleared from the queue',
          });
          clearedTurnIds.push(turn.id);
        }
      }
      held.delete(chat.id);
    }
    const entry = running.get(chat.id);
    // Stop means stop: the follow-ups waiting behind the stopped turn do not start on their own.
    const pausedTurnIds: string[] = [];
    if (entry && !input.clearQueue) {
      const hold = held.get(chat.id) ?? new Set<string>();
      for (const turn of store.turns.queued(chat.id)) {
        if (hold.has(turn.id)) continue;
        hold.add(turn.id);
        pausedTurnIds.push(turn.id);
      }
      if (hold.size > 0) held.set(chat.id, hold);
      if (pausedTurnIds.length > 0) append(chat.id, null, { type: 'queue-paused', turnIds: pausedTurnIds });
    }
    if (!entry) return { abortedTurnId: null, clearedTurnIds, pausedTurnIds };
    entry.abortRequested = true;
    await entry.session?.abort();
    await entry.done;
    return { abortedTurnId: entry.turn.id, clearedTurnIds, pausedTurnIds };
  }

  function queuedTurn(chatId: string, turnId: string): Turn {
    const turn = store.turns.get(turnId);
    if (!turn || turn.chatId !== chatId) throw notFound('turn', turnId);
    if (turn.status !== 'queued') {
      throw new BandApiError('PRECONDITION_FAILED', `Turn ${turnId} is ${turn.status}, not queued`, {
        reason: 'TURN_NOT_QUEUED',
      });
    }
    return turn;
  }

  function resume(input: ResumeInput): ResumeResult {
    if (closed) throw new BandApiError('UNAVAILABLE', 'The server is shutting down', { reason: 'SHUTTING_DOWN' });
    const chat = getChat(input.chatId);
    const hold = held.get(chat.id);
    let resumedTurnIds: string[];
    if (input.turnId) {
      queuedTurn(chat.id, input.turnId);
      resumedTurnIds = hold?.delete(input.turnId) ? [input.turnId] : [];
    } else {
      resumedTurnIds = store.turns.queued(chat.id).flatMap((t) => (hold?.delete(t.id) ? [t.id] : []));
    }
    if (hold && hold.size === 0) held.delete(chat.id);
    if (resumedTurnIds.length > 0) append(chat.id, null, { type: 'queue-resumed', turnIds: resumedTurnIds });
    pump(chat.id);
    return { resumedTurnIds };
  }

  function discard(input: DiscardInput): { discardedTurnId: string } {
    const chat = getChat(input.chatId);
    const turn = queuedTurn(chat.id, input.turnId);
    if (store.turns.finish(turn.id, 'aborted', { error: 'discarded' })) {
      append(chat.id, turn.id, { type: 'turn-end', turnId: turn.id, status: 'aborted', error: 'discarded' });
    }
    const hold = held.get(chat.id);
    hold?.delete(turn.id);
    if (hold && hold.size === 0) held.delete(chat.id);
    return { discardedTurnId: turn.id };
  }

  function subscribeBatches(
    input: { chatId: string; afterSeq?: number },
    signal?: AbortSignal,
    limits?: ChatBatchLimits,
  ) {
    const chat = getChat(input.chatId);
    const onEvent = (listener: (envelope: ChatEventEnvelope) => void) => events.on('chat.event', listener);
    return streamChatEventBatches<ChatEvent>(
      { store, onEvent },
      { chatId: chat.id, afterSeq: input.afterSeq },
      signal,
      limits,
    );
  }

  async function* subscribe(
    input: { chatId: string; afterSeq?: number },
    signal?: AbortSignal,
  ): AsyncGenerator<ChatEventEnvelope> {
    for await (const batch of subscribeBatches(input, signal)) yield* batch;
  }

  async function* subscribeStatuses(signal?: AbortSignal) {
    const pending: Array<{ workspaceId: string; status: AgentStatus }> = [];
    const wakeup = createWakeup(signal);
    const off = events.on('workspace.status', (workspaceId, status) => {
      pending.push({ workspaceId, status });
      wakeup.wake();
    });
    // Subscribed first, then the snapshot; a change already reflected in the snapshot is not repeated.
    const last = new Map<string, AgentStatus>();
    try {
      for (const ws of store.workspaces.list()) {
        const status = aggregate(ws.id);
        last.set(ws.id, status);
        yield { workspaceId: ws.id, status };
      }
      for (;;) {
        while (pending.length) {
          const change = pending.shift()!;
          if (last.get(change.workspaceId) === change.status) continue;
          last.set(change.workspaceId, change.status);
          yield change;
        }
        if (!(await wakeup.sleep())) return;
      }
    } finally {
      off();
      wakeup.dispose();
    }
  }

  let closing: Promise<void> | undefined;

  return {
    async start() {
      pids.reapLeftovers();
      try {
        await fillDetectedCodingAgents({ settings, home: deps.home, env, logger });
      } catch (error) {
        logger.warn(`coding agent detection failed: ${(error as Error).message}`);
      }
      // A turn cannot still be running after a restart; queued ones are not started behind the user's back.
      const wasRunning = new Set(
        store.chats
          .list()
          .flatMap((c) => store.turns.running(c.id) ?? [])
          .map((t) => t.id),
      );
      const touched = store.turns.failInterrupted('The Band server stopped while this turn was running', {
        includeQueued: true,
      });
      for (const turnId of touched) {
        const turn = store.turns.get(turnId);
        if (!turn) continue;
        append(turn.chatId, turnId, {
          type: 'turn-end',
          turnId,
          status: wasRunning.has(turnId) ? 'failed' : 'aborted',
          error: turn.error ?? undefined,
        });
      }
      for (const chat of store.chats.list())
        if (chat.status === 'working') store.chats.update(chat.id, { status: 'needs-attention' });
    },
    create: createChat,
    list: (input) => store.chats.list(input?.workspaceId ? getWorkspace(input.workspaceId).id : undefined),
    get: getChat,
    send,
    abort,
    resume,
    discard,
    history(input) {
      const chat = getChat(input.chatId);
      if (input.beforeSeq !== undefined) {
        // A backward page of a long chat carries the turns of its own events, not the chat's thousands of turns.
        const events = store.chatEvents.listBefore<ChatEvent>(chat.id, input.beforeSeq, input.limit);
        const ids = new Set(events.map((e) => e.turnId));
        return {
          chat,
          turns: store.turns.list(chat.id).filter((t) => ids.has(t.id)),
          events,
          lastSeq: store.chatEvents.lastSeq(chat.id),
        };
      }
      return {
        chat,
        turns: store.turns.list(chat.id),
        events: store.chatEvents.listAfter<ChatEvent>(chat.id, input.afterSeq ?? 0, input.limit),
        lastSeq: store.chatEvents.lastSeq(chat.id),
      };
    },
    subscribe,
    subscribeBatches,
    subscribeStatuses,
    approvals: (input) => approvals.list(input?.chatId ? getChat(input.chatId).id : undefined),
    answerApproval: (input, by) => approvals.answer(input, by),
    approvalAnswersByDevice: () => approvals.answersByDevice(),
    workspaceStatus: (workspaceId) => aggregate(getWorkspace(workspaceId).id),
    markSeen(workspaceId) {
      const workspace = getWorkspace(workspaceId);
      for (const chat of store.chats.list(workspace.id)) {
        // Seeing a request is not answering it: a pending approval keeps its chat (and the workspace) needing one.
        if ((chat.status === 'done' || chat.status === 'needs-attention') && !approvals.hasPending(chat.id))
          setChatStatus(chat, 'waiting');
      }
      return aggregate(workspace.id);
    },
    runInitialRequest(workspaceId) {
      const ws = getWorkspace(workspaceId);
      const request = ws.initialRequest;
      if (!request?.prompt) return undefined;
      // Create the chat first: if that fails (no agent configured), the request stays for a later try.
      const chat = createChat({ workspaceId: ws.id, agent: request.agent, model: request.model, mode: request.mode });
      store.workspaces.update(ws.id, { initialRequest: null });
      return send({ chatId: chat.id, message: request.prompt });
    },
    close() {
      closing ??= (async () => {
        closed = true;
        const entries = [...running.values()];
        for (const entry of entries) entry.abortRequested = true;
        await Promise.all(
          entries.map(async (entry) => {
            await entry.session?.abort();
            await entry.done;
          }),
        );
      })();
      return closing;
    },
  };
}

function single<T>(items: T[]): T | undefined {
  return items.length === 1 ? items[0] : undefined;
}
