import type { AgentEvent, AgentSession, ApprovalDecision } from '@band/agents';
import type { Store } from '@band/store';
import { BandApiError } from '../errors.js';

type RequestEvent = Extract<AgentEvent, { type: 'approval-request' }>;
type ResolvedEvent = Extract<AgentEvent, { type: 'approval-resolved' }>;

/** A request an agent is waiting on (it exists only while its turn runs). */
export interface PendingApproval {
  requestId: string;
  chatId: string;
  workspaceId: string;
  turnId: string;
  toolName: string;
  /**
   * The tool's input: `{ command }` for Bash, `{ file_path, content }` / `{ file_path, old_string, new_string }` for
   * edits, `{ url }`...
   */
  input: unknown;
  toolUseId?: string;
  requestedAt: string;
}

/** allow once, allow this tool for the rest of the chat, or deny (with a message the agent receives). */
export type ApprovalAnswer = 'allow' | 'always' | 'deny';

export interface AnswerApprovalInput {
  requestId: string;
  answer: ApprovalAnswer;
  /** Only with `deny`: told to the agent as the reason. */
  message?: string;
  /**
   * Only for `AskUserQuestion`, with `allow`: question text → the chosen option's label (several labels of a
   * multi-select question joined by ", "), or the user's own words. Every question needs one.
   */
  answers?: Record<string, string>;
}

/** The tool whose "approval" is the user's answer to its questions. */
export const QUESTION_TOOL = 'AskUserQuestion';

/** The question texts of an `AskUserQuestion` input (`{ questions: [{ question, header, options, multiSelect }] }`). */
export function questionsOf(input: unknown): string[] {
  const questions = input && typeof input === 'object' ? (input as { questions?: unknown }).questions : undefined;
  if (!Array.isArray(questions)) return [];
  return questions.flatMap((q) =>
    q && typeof q === 'object' && typeof (q as { question?: unknown }).question === 'string'
      ? [(q as { question: string }).question]
      : [],
  );
}

/** Who answered, recorded on the `approval-resolved` event (band-docs: every answer is in the history). */
export interface ApprovalAnswerer {
  /**
   * `dashboard` for a browser session, `token` for the bearer token (the CLI), `rule` for "always", `abort`,
   * `turn-end`.
   */
  via: string;
  /** The browser session (Mobile Access devices list). */
  deviceId?: string;
  /** Its label, e.g. "Chrome on Android". */
  device?: string;
  /** `local` or `tunnel`. */
  listener?: string;
}

/** The last answer a browser session gave (for the Mobile Access devices list), since the server started. */
export interface DeviceAnswer {
  deviceId: string;
  requestId: string;
  chatId: string;
  toolName: string;
  behavior: 'allow' | 'deny';
  scope: 'once' | 'always';
  answeredAt: string;
}

export interface AnswerApprovalResult {
  requestId: string;
  chatId: string;
  behavior: 'allow' | 'deny';
  scope: 'once' | 'always';
}

/**
 * The approvals of every running turn: who is waiting, the per-chat "allow this tool" rules, and who answered.
 * The chat service feeds it the agent's events and the running sessions; the events themselves are stored in the
 * chat's log like every other `AgentEvent`.
 */
export interface ApprovalRegistry {
  /** An agent asks. Returns true when a rule of the chat answered it at once (the tool is always allowed). */
  requested(
    event: RequestEvent,
    where: { chatId: string; workspaceId: string; turnId: string; session: AgentSession },
  ): boolean;
  /** The agent's session recorded an answer (ours, an abort, or the end of the turn). */
  resolved(event: ResolvedEvent): void;
  /** Pending requests, oldest first; of one chat or of all. */
  list(chatId?: string): PendingApproval[];
  hasPending(chatId: string): boolean;
  /** First answer wins: a second gets `ALREADY_ANSWERED` (with who answered), an unknown id `NOT_FOUND`. */
  answer(input: AnswerApprovalInput, by: ApprovalAnswerer): AnswerApprovalResult;
  /** Per browser session, its last answer. */
  answersByDevice(): DeviceAnswer[];
}

/** How many answered request ids are remembered for the "already answered" error. */
const ANSWERED_MEMORY = 10_000;

export function createApprovalRegistry(deps: { store: Store }): ApprovalRegistry {
  const pending = new Map<string, { approval: PendingApproval; session: AgentSession }>();
  const answered = new Map<
    string,
    { chatId: string; behavior: 'allow' | 'deny'; by?: Record<string, string>; resolvedAt: string }
  >();
  /**
   * chatId → tools the user allowed for the rest of the chat (loaded from the log on first use, so a restart keeps
   * them).
   */
  const always = new Map<string, Set<string>>();
  const byDevice = new Map<string, DeviceAnswer>();

  function alwaysAllowed(chatId: string): Set<string> {
    let tools = always.get(chatId);
    if (tools) return tools;
    tools = new Set();
    const requests = new Map<string, string>();
    for (let after = 0; ; ) {
      const page = deps.store.chatEvents.listAfter<AgentEvent>(chatId, after, 1_000);
      for (const record of page) {
        const event = record.event;
        if (event.type === 'approval-request') requests.set(event.requestId, event.toolName);
        if (event.type === 'approval-resolved' && event.behavior === 'allow' && event.scope === 'always') {
          const tool = requests.get(event.requestId);
          if (tool) tools.add(tool);
        }
      }
      if (page.length < 1_000) break;
      after = page.at(-1)!.seq;
    }
    always.set(chatId, tools);
    return tools;
  }

  function remember(
    requestId: string,
    value: { chatId: string; behavior: 'allow' | 'deny'; by?: Record<string, string>; resolvedAt: string },
  ) {
    answered.set(requestId, value);
    if (answered.size > ANSWERED_MEMORY) answered.delete(answered.keys().next().value!);
  }

  function alreadyAnswered(requestId: string): BandApiError {
    const done = answered.get(requestId);
    const how = done
      ? ` (${done.behavior === 'allow' ? 'allowed' : 'denied'} by ` +
        `${done.by?.device ?? done.by?.via ?? 'someone'} at ${done.resolvedAt})`
      : '';
    return new BandApiError('CONFLICT', `Approval request ${requestId} was already answered${how}`, {
      reason: 'ALREADY_ANSWERED',
      hint: 'The first answer wins; nothing was changed.',
    });
  }

  return {
    requested(event, where) {
      const approval: PendingApproval = {
        requestId: event.requestId,
        chatId: where.chatId,
        workspaceId: where.workspaceId,
        turnId: where.turnId,
        toolName: event.toolName,
        input: event.input,
        ...(event.toolUseId ? { toolUseId: event.toolUseId } : {}),
        requestedAt: event.requestedAt,
      };
      pending.set(event.requestId, { approval, session: where.session });
      // A question is never answered by a rule: only the user knows the answer.
      if (event.toolName === QUESTION_TOOL || !alwaysAllowed(where.chatId).has(event.toolName)) return false;
      if (!where.session.respond(event.requestId, { behavior: 'allow', scope: 'always', by: { via: 'rule' } }))
        return false;
      pending.delete(event.requestId);
      remember(event.requestId, {
        chatId: where.chatId,
        behavior: 'allow',
        by: { via: 'rule' },
        resolvedAt: new Date().toISOString(),
      });
      return true;
    },
    resolved(event) {
      // Answers given here were booked in answer(); this catches aborts and the end of a turn.
      const entry = pending.get(event.requestId);
      if (!entry) return;
      pending.delete(event.requestId);
      remember(event.requestId, {
        chatId: entry.approval.chatId,
        behavior: event.behavior,
        by: event.by,
        resolvedAt: event.resolvedAt,
      });
    },
    list(chatId) {
      return [...pending.values()].map((p) => p.approval).filter((a) => !chatId || a.chatId === chatId);
    },
    hasPending(chatId) {
      for (const { approval } of pending.values()) if (approval.chatId === chatId) return true;
      return false;
    },
    answersByDevice: () => [...byDevice.values()],
    answer(input, by) {
      const entry = pending.get(input.requestId);
      if (!entry) {
        if (answered.has(input.requestId)) throw alreadyAnswered(input.requestId);
        throw new BandApiError('NOT_FOUND', `No pending approval request ${input.requestId}`, {
          reason: 'APPROVAL_NOT_FOUND',
          hint: 'List the pending ones with band chats approvals --all.',
        });
      }
      if (input.message !== undefined && input.answer !== 'deny') {
        throw new BandApiError('INVALID_INPUT', 'A message goes only with deny', { reason: 'MESSAGE_WITHOUT_DENY' });
      }
      const { approval } = entry;
      let updatedInput: Record<string, unknown> | undefined;
      if (approval.toolName === QUESTION_TOOL) {
        if (input.answer === 'always') {
          throw new BandApiError('INVALID_INPUT', 'A question cannot be allowed for the rest of the chat', {
            reason: 'QUESTION_NEEDS_ANSWERS',
            hint: 'Answer it (allow with answers), or deny it with a message.',
          });
        }
        if (input.answer === 'allow') {
          const missing = questionsOf(approval.input).filter((q) => !input.answers?.[q]?.trim());
          if (missing.length > 0) {
            throw new BandApiError(
              'INVALID_INPUT',
              `Answer every question: ${missing.map((q) => `"${q}"`).join(', ')}`,
              { reason: 'QUESTION_NEEDS_ANSWERS' },
            );
          }
          // Claude Code reads the user's choices from `answers` next to the questions it asked.
          updatedInput = { ...(approval.input as Record<string, unknown>), answers: input.answers };
        }
      } else if (input.answers !== undefined) {
        throw new BandApiError('INVALID_INPUT', `${approval.toolName} asks for permission, not for answers`, {
          reason: 'ANSWERS_WITHOUT_QUESTION',
        });
      }
      const record: Record<string, string> = Object.fromEntries(
        Object.entries(by).filter(([, v]) => typeof v === 'string'),
      );
      const decision: ApprovalDecision =
        input.answer === 'deny'
          ? { behavior: 'deny', ...(input.message ? { message: input.message } : {}), scope: 'once', by: record }
          : {
              behavior: 'allow',
              scope: input.answer === 'always' ? 'always' : 'once',
              by: record,
              ...(updatedInput ? { updatedInput } : {}),
            };
      // The session is the arbiter (its first answer wins); its approval-resolved event reaches the log through the
      // chat service a moment later, so the bookkeeping here happens now.
      if (!entry.session.respond(input.requestId, decision)) throw alreadyAnswered(input.requestId);
      pending.delete(input.requestId);
      remember(input.requestId, {
        chatId: entry.approval.chatId,
        behavior: decision.behavior,
        by: record,
        resolvedAt: new Date().toISOString(),
      });
      if (input.answer === 'always') alwaysAllowed(entry.approval.chatId).add(entry.approval.toolName);
      if (by.deviceId) {
        byDevice.delete(by.deviceId); // keep insertion order = recency, bounded like the answered ids
        byDevice.set(by.deviceId, {
          deviceId: by.deviceId,
          requestId: input.requestId,
          chatId: entry.approval.chatId,
          toolName: entry.approval.toolName,
          behavior: decision.behavior,
          scope: decision.scope ?? 'once',
          answeredAt: new Date().toISOString(),
        });
        if (byDevice.size > ANSWERED_MEMORY) byDevice.delete(byDevice.keys().next().value!);
      }
      return {
        requestId: input.requestId,
        chatId: entry.approval.chatId,
        behavior: decision.behavior,
        scope: decision.scope ?? 'once',
      };
    },
  };
}
