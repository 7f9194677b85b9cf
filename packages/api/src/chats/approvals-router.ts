import type { Principal } from '@band/auth';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import type { Services } from '../create-services.js';
import type { ApprovalAnswerer } from './approvals.js';
import { authedProcedure } from '../trpc.js';

const id = z.string().min(1).max(200);

export const listApprovalsInput = z.object({ chatId: id.optional() }).optional();
export const answerApprovalInput = z
  .object({
    requestId: id,
    /** `allow` once, `always` (this tool for the rest of the chat), or `deny`. */
    answer: z.enum(['allow', 'always', 'deny']),
    /** With `deny` only: the agent receives it as the reason. */
    message: z.string().max(4_000).optional(),
    /** `AskUserQuestion` only, with `allow`: question text → chosen label(s) or the user's own words. */
    answers: z.record(z.string().max(2_000), z.string().min(1).max(4_000)).optional(),
  })
  .refine((v) => v.message === undefined || v.answer === 'deny', {
    message: 'A message goes only with deny',
    path: ['message'],
  });

/** Who answers: the browser session (a device of the Mobile Access list) or the bearer token (the CLI). */
function answererOf(principal: Principal, services: Services): ApprovalAnswerer {
  if (principal.kind === 'root') return { via: 'token', listener: principal.listener };
  const device = principal.sessionId ? services.devices.list().find((d) => d.id === principal.sessionId) : undefined;
  return {
    via: 'dashboard',
    listener: principal.listener,
    ...(principal.sessionId ? { deviceId: principal.sessionId } : {}),
    ...(device ? { device: device.label } : {}),
  };
}

export const approvalsRouter = {
  /** Requests the agents wait on: of one chat, or of every chat. */
  list: authedProcedure.input(listApprovalsInput).query(({ ctx, input }) => ctx.services.chats.approvals(input)),
  /** First answer wins; a second gets CONFLICT `ALREADY_ANSWERED`. The answer and its device go into the chat's log. */
  answer: authedProcedure
    .input(answerApprovalInput)
    .mutation(({ ctx, input }) => ctx.services.chats.answerApproval(input, answererOf(ctx.principal, ctx.services))),
  /**
   * Per signed-in browser session, the last request it answered (what, when): the Mobile Access devices list shows it.
   */
  byDevice: authedProcedure.query(({ ctx }) => ctx.services.chats.approvalAnswersByDevice()),
} satisfies TRPCRouterRecord;
