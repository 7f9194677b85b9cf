// What every approval channel keeps for a turn, whatever carries the requests (Claude Code's MCP permission prompt
// tool, Codex's app-server JSON-RPC): the pending requests, the events queued before the session attached, and the
// rule that an answer is recorded once, as an `approval-resolved` event, before the CLI is told.
import type { ApprovalChannel } from './approval-bridge.js';
import type { AgentEvent, ApprovalDecision } from './types.js';

export type RequestEvent = Extract<AgentEvent, { type: 'approval-request' }>;
export type ResolvedEvent = Extract<AgentEvent, { type: 'approval-resolved' }>;

/** How an answer is given. `silent`: recorded, not sent (an aborted CLI is being killed and must not act on it). */
export interface AnswerOptions {
  silent?: boolean;
  /** Codex only: a denial's message also steers the running turn. Never for the denials of `denyAll`. */
  steer?: boolean;
}

/** The `approval-resolved` event of an answer, whatever channel carried the request. */
export function resolvedEvent(requestId: string, decision: ApprovalDecision): ResolvedEvent {
  return {
    type: 'approval-resolved',
    requestId,
    behavior: decision.behavior,
    ...(decision.behavior === 'deny' && decision.message ? { message: decision.message } : {}),
    ...(decision.behavior === 'allow' && decision.updatedInput ? { updatedInput: decision.updatedInput } : {}),
    ...(decision.scope ? { scope: decision.scope } : {}),
    ...(decision.by ? { by: decision.by } : {}),
    resolvedAt: new Date().toISOString(),
  };
}

/**
 * The pending requests of one turn. `answer` tells the CLI (an HTTP reply, a JSON-RPC result); the book records
 * the decision first, so a request is answered at most once.
 */
export function createApprovalBook<Entry extends { event: RequestEvent }>(
  answer: (entry: Entry, decision: ApprovalDecision, options: AnswerOptions) => void,
) {
  const waiting = new Map<string, Entry>();
  const early: AgentEvent[] = [];
  let push: ((event: AgentEvent) => void) | undefined;
  let closedForNew = false;

  /** To the session's queue; held until it attaches. */
  const emit = (event: AgentEvent) => (push ? push(event) : early.push(event));

  function respond(requestId: string, decision: ApprovalDecision, options: AnswerOptions = {}): boolean {
    const entry = waiting.get(requestId);
    if (!entry) return false;
    waiting.delete(requestId);
    emit(resolvedEvent(requestId, decision));
    if (!options.silent) answer(entry, decision, options);
    return true;
  }

  const denyAll = (message: string, by?: Record<string, string>, options: { silent?: boolean } = {}) => {
    closedForNew = true;
    for (const requestId of [...waiting.keys()]) {
      respond(
        requestId,
        { behavior: 'deny', message, ...(by ? { by } : {}) },
        { silent: options.silent, steer: false },
      );
    }
  };
  const attach = (fn: (event: AgentEvent) => void) => {
    push = fn;
    for (const event of early.splice(0)) fn(event);
  };
  const pending = () => [...waiting.values()].map((entry) => entry.event);
  let closed = false;

  return {
    emit,
    /** True once `denyAll` ran: new requests are denied at once. */
    get closedForNew() {
      return closedForNew;
    },
    add(entry: Entry) {
      waiting.set(entry.event.requestId, entry);
    },
    respond,
    /** The session's view of the channel; `close` denies what is pending, then runs `onClose` (once). */
    channel(onClose: () => void = () => {}): ApprovalChannel {
      return {
        attach,
        respond: (requestId, decision) => respond(requestId, decision),
        pending,
        denyAll,
        close() {
          if (closed) return;
          closed = true;
          denyAll('The turn has ended.', { via: 'turn-end' });
          onClose();
        },
      };
    },
  };
}
