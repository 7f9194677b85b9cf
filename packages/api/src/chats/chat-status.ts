import type { Chat, Store } from '@band/store';
import type { TypedEmitter } from '../events.js';
import type { AgentStatus, ChatBusEvents } from './chat-types.js';
import { createWakeup } from './wakeup.js';

/** Chats' agent statuses and the workspace status they add up to (band-docs §2.6). */
export interface ChatStatusBoard {
  /** The most urgent status of the workspace's chats: needs-attention, then working, then done, else waiting. */
  workspaceStatus(workspaceId: string): AgentStatus;
  /** Every workspace's status now: what `subscribe` starts with. */
  snapshot(): Array<{ workspaceId: string; status: AgentStatus }>;
  /** Records a chat's status and publishes its workspace's status when that changed. */
  setChatStatus(chat: Chat, status: AgentStatus): void;
  /** Current agent status of every workspace, then each change. Ends when `signal` aborts. */
  subscribe(signal?: AbortSignal): AsyncGenerator<{ workspaceId: string; status: AgentStatus }>;
}

/** A workspace shows its most urgent chat: an answer the user owes beats a running turn, which beats unread. */
const URGENCY: readonly AgentStatus[] = ['needs-attention', 'working', 'done'];

export function createChatStatusBoard({
  store,
  events,
}: {
  store: Store;
  events: TypedEmitter<ChatBusEvents>;
}): ChatStatusBoard {
  const publishedStatus = new Map<string, AgentStatus>();

  function workspaceStatus(workspaceId: string): AgentStatus {
    const chats = store.chats.list(workspaceId);
    return URGENCY.find((status) => chats.some((c) => c.status === status)) ?? 'waiting';
  }

  function setChatStatus(chat: Chat, status: AgentStatus) {
    if (store.chats.get(chat.id)?.status !== status) store.chats.update(chat.id, { status });
    const next = workspaceStatus(chat.workspaceId);
    if (publishedStatus.get(chat.workspaceId) !== next) {
      publishedStatus.set(chat.workspaceId, next);
      events.emit('workspace.status', chat.workspaceId, next);
    }
  }

  function snapshot() {
    return store.workspaces.list().map((ws) => ({ workspaceId: ws.id, status: workspaceStatus(ws.id) }));
  }

  async function* subscribe(signal?: AbortSignal) {
    const pending: Array<{ workspaceId: string; status: AgentStatus }> = [];
    const wakeup = createWakeup(signal);
    const off = events.on('workspace.status', (workspaceId, status) => {
      pending.push({ workspaceId, status });
      wakeup.wake();
    });
    // Subscribed first, then the snapshot; a change already reflected in the snapshot is not repeated. The snapshot
    // is read whole before its first item goes out: read item by item, a change made while the first items were
    // on their way showed up as a later item's snapshot value, and the client never saw it happen (no "done"
    // notification for it).
    const last = new Map<string, AgentStatus>();
    try {
      const now = snapshot();
      for (const item of now) last.set(item.workspaceId, item.status);
      for (const item of now) yield item;
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

  return { workspaceStatus, snapshot, setChatStatus, subscribe };
}
