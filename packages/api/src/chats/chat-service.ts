import { type CodingAgent, createCodingAgent } from '@band/agents';
import type { CodingAgentConfig, SettingsStore } from '@band/settings';
import type { Chat, Store } from '@band/store';
import { BandApiError, notFound } from '../errors.js';
import type { TypedEmitter } from '../events.js';
import type { Logger } from '../internal/logger.js';
import type { StoredAttachment, UploadService } from '../uploads/upload-service.js';
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
import { createChatEventLog } from './chat-event-log.js';
import { createChatStatusBoard } from './chat-status.js';
import { type ChatBatchLimits, streamChatEventBatches } from './chat-stream.js';
import { createChatTurns } from './chat-turns.js';
import type {
  AbortInput,
  AbortResult,
  AgentStatus,
  ChatBusEvents,
  ChatEvent,
  ChatEventEnvelope,
  ChatHistory,
  CreateChatInput,
  DiscardInput,
  ResumeInput,
  ResumeResult,
  SendInput,
  SendResult,
} from './chat-types.js';

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
  /** Every workspace's status now: what `subscribeStatuses` starts with. */
  statusSnapshot(): Array<{ workspaceId: string; status: AgentStatus }>;
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

/**
 * The chats domain, composed from its parts: the event log (batched writes, publishing), the status board, the
 * turn queue (running agents) and the resumable subscription (chat-stream.ts). This file validates input and
 * resolves ids; the parts never see an unresolved id.
 */
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
  const approvals = createApprovalRegistry({ store });
  // Agents run in their own process groups (so abort kills their tools too); if this server dies hard, the
  // next one kills what it left (start()).
  const pids = createAgentPidRegistry(deps.home, logger);
  const statuses = createChatStatusBoard({ store, events });
  const log = createChatEventLog({
    store,
    events,
    logger,
    onWriteFailed: (chatId) => turns.abortIfChatDeleted(chatId),
  });
  const turns = createChatTurns({ store, log, statuses, approvals, pids, logger, agentConfig, createAgent });

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

  function ensureOpen() {
    if (turns.isClosed) {
      throw new BandApiError('UNAVAILABLE', 'The server is shutting down', { reason: 'SHUTTING_DOWN' });
    }
  }

  // --- chats and messages ---
  function createChat(input: CreateChatInput): Chat {
    const workspace = getWorkspace(input.workspaceId);
    const s = settings.get();
    const agentId = input.agent ?? s.defaultCodingAgent ?? s.codingAgents[0]?.id;
    if (!agentId) {
      throw new BandApiError('PRECONDITION_FAILED', 'No coding agent is configured', {
        reason: 'NO_CODING_AGENT',
        hint:
          'Install one (npm i -g @anthropic-ai/claude-code, @openai/codex or opencode-ai) and restart ' +
          'Band, or add it to codingAgents in settings.',
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
    ensureOpen();
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
    const { turn, queued } = turns.queueMessage(chat.id, message, attachments);
    return { chat: store.chats.get(chat.id) ?? chat, turn: store.turns.get(turn.id) ?? turn, queued };
  }

  function history(input: { chatId: string; afterSeq?: number; beforeSeq?: number; limit?: number }): ChatHistory {
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
  }

  // --- the resumable subscription ---
  function subscribeBatches(
    input: { chatId: string; afterSeq?: number },
    signal?: AbortSignal,
    limits?: ChatBatchLimits,
  ) {
    const chat = getChat(input.chatId);
    return streamChatEventBatches<ChatEvent>(
      {
        listAfter: (chatId, afterSeq, limit) => store.chatEvents.listAfter<ChatEvent>(chatId, afterSeq, limit),
        onEvent: (listener) => events.on('chat.event', listener),
      },
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

  return {
    async start() {
      pids.reapLeftovers();
      try {
        await fillDetectedCodingAgents({ settings, home: deps.home, env, logger });
      } catch (error) {
        logger.warn(`coding agent detection failed: ${(error as Error).message}`);
      }
      turns.endInterruptedTurns();
      for (const chat of store.chats.list())
        if (chat.status === 'working') store.chats.update(chat.id, { status: 'needs-attention' });
    },
    create: createChat,
    list: (input) => store.chats.list(input?.workspaceId ? getWorkspace(input.workspaceId).id : undefined),
    get: getChat,
    send,
    abort: (input) => turns.abort(getChat(input.chatId).id, Boolean(input.clearQueue)),
    resume(input) {
      ensureOpen();
      return turns.resume(getChat(input.chatId).id, input.turnId);
    },
    discard: (input) => turns.discard(getChat(input.chatId).id, input.turnId),
    history,
    subscribe,
    subscribeBatches,
    subscribeStatuses: (signal) => statuses.subscribe(signal),
    approvals: (input) => approvals.list(input?.chatId ? getChat(input.chatId).id : undefined),
    answerApproval: (input, by) => approvals.answer(input, by),
    approvalAnswersByDevice: () => approvals.answersByDevice(),
    workspaceStatus: (workspaceId) => statuses.workspaceStatus(getWorkspace(workspaceId).id),
    statusSnapshot: () => statuses.snapshot(),
    markSeen(workspaceId) {
      const workspace = getWorkspace(workspaceId);
      for (const chat of store.chats.list(workspace.id)) {
        // Seeing a request is not answering it: a pending approval keeps its chat (and the workspace) needing one.
        if ((chat.status === 'done' || chat.status === 'needs-attention') && !approvals.hasPending(chat.id))
          statuses.setChatStatus(chat, 'waiting');
      }
      return statuses.workspaceStatus(workspace.id);
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
    close: () => turns.close(),
  };
}

function single<T>(items: T[]): T | undefined {
  return items.length === 1 ? items[0] : undefined;
}
