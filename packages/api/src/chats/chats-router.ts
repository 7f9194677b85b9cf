import { type TRPCRouterRecord, tracked } from '@trpc/server';
import { z } from 'zod';
import type { ChatEventEnvelope } from './chat-types.js';
import { authedProcedure } from '../trpc.js';
import { agentChoice } from '../internal/agent-choice.js';
import { preEncodedList } from '../internal/pre-encoded.js';

const id = z.string().min(1).max(200);

export const listChatsInput = z.object({ workspaceId: id.optional() }).optional();
export const createChatInput = z.object({
  workspaceId: id,
  ...agentChoice,
  name: z.string().max(200).optional(),
});
export const sendChatInput = z
  .object({
    /** Without it, the workspace's active chat (created when it has none). */
    chatId: id.optional(),
    workspaceId: id.optional(),
    message: z.string().min(1).max(200_000),
    /** From `uploads.create`, for this chat's workspace. */
    attachmentIds: z.array(id).max(10, 'a message takes at most 10 attachments').optional(),
  })
  .refine((v) => v.chatId || v.workspaceId, { message: 'Give a chatId or a workspaceId' });
export const abortChatInput = z.object({
  chatId: id,
  /** Also drop queued messages (default: they stay, paused, until `resume` or `discard`). */
  clearQueue: z.boolean().optional(),
});
export const resumeChatInput = z.object({
  chatId: id,
  /** Send this paused message now; without it, every paused one, in order. */
  turnId: id.optional(),
});
export const discardQueuedInput = z.object({ chatId: id, turnId: id });
export const markSeenInput = z.object({ workspaceId: id });
export const chatHistoryInput = z
  .object({
    chatId: id,
    /** Events after this seq (0 = from the start), oldest first. */
    afterSeq: z.number().int().min(0).optional(),
    /**
     * A page backwards: the `limit` newest events before this seq, oldest first. `lastSeq + 1` (or any larger
     * number, up to 2^53 - 1) opens the chat at its end; the first seq of a page asks for the page before it.
     */
    beforeSeq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    limit: z.number().int().min(1).max(5_000).optional(),
  })
  .refine((v) => v.afterSeq === undefined || v.beforeSeq === undefined, {
    message: 'Give afterSeq or beforeSeq, not both',
  });
export const chatEventsInput = z.object({
  chatId: id,
  /** Set by the tRPC client on reconnect (the last `tracked` id it saw): resume after it. */
  lastEventId: z.string().max(20).nullish(),
});

function seqOf(lastEventId: string | null | undefined): number {
  if (!lastEventId || !/^\d+$/.test(lastEventId)) return 0;
  return Number(lastEventId);
}

export const chatsRouter = {
  list: authedProcedure.input(listChatsInput).query(({ ctx, input }) => ctx.services.chats.list(input)),
  create: authedProcedure.input(createChatInput).mutation(({ ctx, input }) => ctx.services.chats.create(input)),
  send: authedProcedure.input(sendChatInput).mutation(({ ctx, input }) => ctx.services.chats.send(input)),
  /** Stop: aborts the running turn and pauses the queued messages behind it (or drops them: `clearQueue`). */
  abort: authedProcedure.input(abortChatInput).mutation(({ ctx, input }) => ctx.services.chats.abort(input)),
  /** Send now: releases paused queued messages. */
  resume: authedProcedure.input(resumeChatInput).mutation(({ ctx, input }) => ctx.services.chats.resume(input)),
  /** Drops a queued message before it runs. */
  discard: authedProcedure.input(discardQueuedInput).mutation(({ ctx, input }) => ctx.services.chats.discard(input)),
  /**
   * The user looked at the workspace: "done" and "needs-attention" become "waiting" (not while an approval is pending).
   */
  markSeen: authedProcedure
    .input(markSeenInput)
    .mutation(({ ctx, input }) => ({ status: ctx.services.chats.markSeen(input.workspaceId) })),
  history: authedProcedure.input(chatHistoryInput).query(({ ctx, input }) => ctx.services.chats.history(input)),
  /** A chat's event log, resumable: every event is `tracked` by its per-chat seq. */
  events: authedProcedure.input(chatEventsInput).subscription(async function* ({ ctx, input, signal }) {
    for await (const envelope of ctx.services.chats.subscribe(
      { chatId: input.chatId, afterSeq: seqOf(input.lastEventId) },
      signal,
    )) {
      yield tracked(String(envelope.seq), envelope);
    }
  }),
  /**
   * The same log in batches, one WebSocket frame per batch: `{ events }`, in seq order, `tracked` by the seq of
   * its last event (a reconnect resumes after it). A client that keeps up gets one event per batch; one that
   * falls behind gets everything queued since its last frame at once (DESIGN §3: fan-out to many phones).
   */
  eventBatches: authedProcedure.input(chatEventsInput).subscription(async function* ({ ctx, input, signal }) {
    for await (const events of ctx.services.chats.subscribeBatches(
      { chatId: input.chatId, afterSeq: seqOf(input.lastEventId) },
      signal,
    )) {
      // Each envelope is encoded once for every subscriber (internal/pre-encoded.ts); the client sees `{ events }`.
      yield tracked(
        String(events.at(-1)!.seq),
        preEncodedList('events', events) as unknown as { events: ChatEventEnvelope[] },
      );
    }
  }),
  /** Agent status per workspace now (what `statuses` starts with): a page is rendered with it. */
  statusList: authedProcedure.query(({ ctx }) => ctx.services.chats.statusSnapshot()),
  /** Agent status per workspace: a snapshot of every workspace, then each change. */
  statuses: authedProcedure.subscription(async function* ({ ctx, signal }) {
    yield* ctx.services.chats.subscribeStatuses(signal);
  }),
} satisfies TRPCRouterRecord;
