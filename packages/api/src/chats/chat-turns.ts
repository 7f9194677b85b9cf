import { AgentError, type AgentEvent, type AgentSession, type CodingAgent } from '@band/agents';
import type { CodingAgentConfig } from '@band/settings';
import type { Store, Turn } from '@band/store';
import { BandApiError, notFound } from '../errors.js';
import type { Logger } from '../internal/logger.js';
import type { StoredAttachment } from '../uploads/upload-service.js';
import type { AgentPidRegistry } from './agent-pids.js';
import type { ApprovalRegistry } from './approvals.js';
import type { ChatEventLog } from './chat-event-log.js';
import type { ChatStatusBoard } from './chat-status.js';
import type { AbortResult, ChatEvent, ResumeResult } from './chat-types.js';

/**
 * A chat's turns: one runs at a time, the others wait in the queue (in order), and a Stop holds the waiting ones
 * until the user resumes or discards them. Chat ids here are resolved ones.
 */
export interface ChatTurns {
  /** True once `close()` began: nothing starts any more. */
  readonly isClosed: boolean;
  /** Records a sent message as a new turn and starts it, or queues it while another turn runs. */
  queueMessage(chatId: string, message: string, attachments: StoredAttachment[]): { turn: Turn; queued: boolean };
  /** Stop: pauses the queue (or clears it), aborts the running turn and resolves once it is recorded. */
  abort(chatId: string, clearQueue: boolean): Promise<AbortResult>;
  /** Releases held queued turns (one, or all in order); they start once nothing runs. */
  resume(chatId: string, turnId?: string): ResumeResult;
  /** Drops a queued turn before it runs (it ends `aborted`, error `discarded`). */
  discard(chatId: string, turnId: string): { discardedTurnId: string };
  /** Ends the turns a previous server left running (failed) or queued (aborted). */
  endInterruptedTurns(): void;
  /** The chat's events could not be stored: if the chat was deleted, stop its agent (nobody sees its output). */
  abortIfChatDeleted(chatId: string): void;
  /** Aborts every running agent and waits for them. Idempotent. */
  close(): Promise<void>;
}

export interface ChatTurnsDeps {
  store: Store;
  log: ChatEventLog;
  statuses: ChatStatusBoard;
  approvals: ApprovalRegistry;
  pids: AgentPidRegistry;
  logger: Logger;
  agentConfig(agentId: string): CodingAgentConfig | undefined;
  createAgent(config: CodingAgentConfig): CodingAgent;
}

/** Tools that stop and wait for the user (band-docs §2.5). */
const ATTENTION_TOOLS = new Set(['AskUserQuestion', 'ExitPlanMode']);

interface RunningTurn {
  turn: Turn;
  session?: AgentSession;
  done: Promise<void>;
  isAbortRequested: boolean;
}

export function createChatTurns(deps: ChatTurnsDeps): ChatTurns {
  const { store, log, statuses, approvals, pids, logger } = deps;
  const running = new Map<string, RunningTurn>();
  /** Per chat, the queued turns a Stop paused (in memory: a restart aborts queued turns anyway). */
  const held = new Map<string, Set<string>>();
  /** Per turn, the files sent with its message (until it starts: a restart aborts queued turns anyway). */
  const turnAttachments = new Map<string, StoredAttachment[]>();
  let isClosed = false;
  let closing: Promise<void> | undefined;

  function append(chatId: string, turnId: string | null, event: ChatEvent): void {
    if (event.type === 'turn-end') turnAttachments.delete(event.turnId); // discarded or cleared before it ran
    log.append(chatId, turnId, event);
  }

  function pump(chatId: string) {
    if (isClosed || running.has(chatId)) return;
    const turn = store.turns.startNext(chatId, held.get(chatId));
    if (!turn) return;
    const entry: RunningTurn = { turn, done: Promise.resolve(), isAbortRequested: false };
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
    statuses.setChatStatus(chat, 'working');

    const fail = (message: string, hint?: string) => {
      append(chatId, turn.id, { type: 'error', message: hint ? `${message}. ${hint}` : message });
      append(chatId, turn.id, { type: 'session-result', status: 'failed', reason: message });
      store.turns.finish(turn.id, 'failed', { error: message });
      append(chatId, turn.id, { type: 'turn-end', turnId: turn.id, status: 'failed', error: message });
      statuses.setChatStatus(chat!, 'needs-attention');
    };

    if (!workspace) return fail(`Workspace ${chat.workspaceId} no longer exists`);
    const config = deps.agentConfig(chat.agentId);
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
      session = deps.createAgent(config).runSession(turn.prompt, {
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
    if (entry.isAbortRequested) void session.abort();

    const started = Date.now();
    let result: Extract<AgentEvent, { type: 'session-result' }> | undefined;
    let lastError: string | undefined;
    // The agent asked the user something (AskUserQuestion, ExitPlanMode): answered by the next message.
    let hasAsked = false;
    for await (const event of session) {
      if (!store.isOpen) break;
      log.enqueue(chatId, turn.id, event);
      switch (event.type) {
        case 'session-start':
          if (event.sessionId !== chat.agentSessionId)
            chat = store.chats.update(chatId, { agentSessionId: event.sessionId }) ?? chat;
          break;
        case 'tool-use':
          if (ATTENTION_TOOLS.has(event.name)) {
            hasAsked = true;
            statuses.setChatStatus(chat, 'needs-attention');
          }
          break;
        case 'tool-result':
          if (store.chats.get(chatId)?.status === 'needs-attention' && !approvals.hasPending(chatId))
            statuses.setChatStatus(chat, 'working');
          break;
        case 'approval-request':
          if (!approvals.requested(event, { chatId, workspaceId: chat.workspaceId, turnId: turn.id, session }))
            statuses.setChatStatus(chat, 'needs-attention');
          break;
        case 'approval-resolved':
          approvals.resolved(event);
          if (!approvals.hasPending(chatId) && store.chats.get(chatId)?.status === 'needs-attention')
            statuses.setChatStatus(chat, 'working');
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
    log.flush(chatId);
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
    const hasMore = !isClosed && store.turns.queued(chatId).some((t) => !held.get(chatId)?.has(t.id));
    // Aborted by the user: they already know. Failed, or the agent asked something: it needs the user's answer
    // (retry, fix the agent, reply). Finished: done, unread until the user looks.
    if (!hasMore) {
      const next = status === 'aborted' ? 'waiting' : status === 'failed' || hasAsked ? 'needs-attention' : 'done';
      statuses.setChatStatus(chat, next);
    }
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

  return {
    get isClosed() {
      return isClosed;
    },
    queueMessage(chatId, message, attachments) {
      const turn = store.turns.create({ chatId, prompt: message });
      const queued = running.has(chatId) || isClosed;
      if (attachments.length > 0) turnAttachments.set(turn.id, attachments);
      append(chatId, turn.id, {
        type: 'user-message',
        turnId: turn.id,
        text: message,
        queued,
        ...(attachments.length > 0
          ? { attachments: attachments.map(({ id, name, size, mediaType }) => ({ id, name, size, mediaType })) }
          : {}),
      });
      pump(chatId);
      return { turn, queued };
    },
    async abort(chatId, clearQueue) {
      const clearedTurnIds: string[] = [];
      if (clearQueue) {
        for (const turn of store.turns.queued(chatId)) {
          if (store.turns.finish(turn.id, 'aborted', { error: 'cleared from the queue' })) {
            append(chatId, turn.id, {
              type: 'turn-end',
              turnId: turn.id,
              status: 'aborted',
              error: 'cleared from the queue',
            });
            clearedTurnIds.push(turn.id);
          }
        }
        held.delete(chatId);
      }
      const entry = running.get(chatId);
      // Stop means stop: the follow-ups waiting behind the stopped turn do not start on their own.
      const pausedTurnIds: string[] = [];
      if (entry && !clearQueue) {
        const hold = held.get(chatId) ?? new Set<string>();
        for (const turn of store.turns.queued(chatId)) {
          if (hold.has(turn.id)) continue;
          hold.add(turn.id);
          pausedTurnIds.push(turn.id);
        }
        if (hold.size > 0) held.set(chatId, hold);
        if (pausedTurnIds.length > 0) append(chatId, null, { type: 'queue-paused', turnIds: pausedTurnIds });
      }
      if (!entry) return { abortedTurnId: null, clearedTurnIds, pausedTurnIds };
      entry.isAbortRequested = true;
      await entry.session?.abort();
      await entry.done;
      return { abortedTurnId: entry.turn.id, clearedTurnIds, pausedTurnIds };
    },
    resume(chatId, turnId) {
      const hold = held.get(chatId);
      let resumedTurnIds: string[];
      if (turnId) {
        queuedTurn(chatId, turnId);
        resumedTurnIds = hold?.delete(turnId) ? [turnId] : [];
      } else {
        resumedTurnIds = store.turns.queued(chatId).flatMap((t) => (hold?.delete(t.id) ? [t.id] : []));
      }
      if (hold && hold.size === 0) held.delete(chatId);
      if (resumedTurnIds.length > 0) append(chatId, null, { type: 'queue-resumed', turnIds: resumedTurnIds });
      pump(chatId);
      return { resumedTurnIds };
    },
    discard(chatId, turnId) {
      const turn = queuedTurn(chatId, turnId);
      if (store.turns.finish(turn.id, 'aborted', { error: 'discarded' })) {
        append(chatId, turn.id, { type: 'turn-end', turnId: turn.id, status: 'aborted', error: 'discarded' });
      }
      const hold = held.get(chatId);
      hold?.delete(turn.id);
      if (hold && hold.size === 0) held.delete(chatId);
      return { discardedTurnId: turn.id };
    },
    endInterruptedTurns() {
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
    },
    abortIfChatDeleted(chatId) {
      if (store.isOpen && !store.chats.get(chatId)) void running.get(chatId)?.session?.abort();
    },
    close() {
      closing ??= (async () => {
        isClosed = true;
        const entries = [...running.values()];
        for (const entry of entries) entry.isAbortRequested = true;
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
