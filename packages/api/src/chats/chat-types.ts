import type { AgentEvent } from '@band/agents';
import type { Chat, ChatEventRecord, ChatStatus, Turn } from '@band/store';
import type { Attachment } from '../uploads/upload-service.js';

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
