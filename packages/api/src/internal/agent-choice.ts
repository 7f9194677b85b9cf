import { z } from 'zod';

/** The agent, model and mode a chat runs with: `chats.create`, and `workspaces.create` with a first prompt. */
export const agentChoice = {
  /** An id from settings `codingAgents`; defaults to `defaultCodingAgent`. */
  agent: z.string().min(1).max(100).optional(),
  model: z.string().min(1).max(200).optional(),
  /** `plan` or `edit` (or an agent's native mode name). */
  mode: z
    .string()
    .regex(/^[A-Za-z][A-Za-z-]{0,39}$/, 'a mode is a word such as plan or edit')
    .optional(),
};
