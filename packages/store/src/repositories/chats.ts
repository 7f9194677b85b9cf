import { newId } from '../ids.js';
import type { Chat, ChatStatus } from '../types.js';
import { createFindByIdPrefix, createGetById, createPatcher, iso, type RepoContext } from './shared.js';

interface ChatRow {
  id: string;
  workspace_id: string;
  agent_id: string;
  model: string | null;
  mode: string | null;
  agent_session_id: string | null;
  title: string;
  status: ChatStatus;
  last_seq: number;
  created_at: number;
  updated_at: number;
}

const toChat = (r: ChatRow): Chat => ({
  id: r.id,
  workspaceId: r.workspace_id,
  agentId: r.agent_id,
  model: r.model,
  mode: r.mode,
  agentSessionId: r.agent_session_id,
  title: r.title,
  status: r.status,
  lastSeq: r.last_seq,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

export interface NewChat {
  workspaceId: string;
  agentId: string;
  model?: string | null;
  mode?: string | null;
  /** @default '' */
  title?: string;
  /** Generated (`chat_…`) when omitted. */
  id?: string;
}

export type ChatPatch = Partial<Pick<Chat, 'agentId' | 'model' | 'mode' | 'agentSessionId' | 'title' | 'status'>>;

export interface ChatsRepository {
  /** Throws StoreError `REFERENCE_MISSING` when the workspace does not exist. */
  create(input: NewChat): Chat;
  get(id: string): Chat | undefined;
  /** All chats, or one workspace's, oldest first. */
  list(workspaceId?: string): Chat[];
  /** Chats whose id starts with `prefix` (at most 10). */
  findByIdPrefix(prefix: string): Chat[];
  /** Returns the updated record, or undefined when it does not exist. Bumps `updatedAt`. */
  update(id: string, patch: ChatPatch): Chat | undefined;
  /** Deletes the chat with its turns and events. */
  remove(id: string): boolean;
}

export function createChatsRepository({ db, now }: RepoContext): ChatsRepository {
  const insert = db.prepare(`
    INSERT INTO chats (id, workspace_id, agent_id, model, mode, title, created_at, updated_at)
    VALUES (@id, @workspaceId, @agentId, @model, @mode, @title, @now, @now)`);
  const all = db.prepare<[], ChatRow>('SELECT * FROM chats ORDER BY created_at, rowid');
  const ofWorkspace = db.prepare<[string], ChatRow>(
    'SELECT * FROM chats WHERE workspace_id = ? ORDER BY created_at, rowid',
  );
  const del = db.prepare('DELETE FROM chats WHERE id = ?');
  const patcher = createPatcher(
    db,
    'chats',
    {
      agentId: 'agent_id',
      model: 'model',
      mode: 'mode',
      agentSessionId: 'agent_session_id',
      title: 'title',
      status: 'status',
    },
    true,
  );
  const get = createGetById(db, 'chats', toChat);
  return {
    create(input) {
      const id = input.id ?? newId('chat');
      insert.run({
        id,
        workspaceId: input.workspaceId,
        agentId: input.agentId,
        model: input.model ?? null,
        mode: input.mode ?? null,
        title: input.title ?? '',
        now: now(),
      });
      return get(id)!;
    },
    get,
    list: (workspaceId) => (workspaceId === undefined ? all.all() : ofWorkspace.all(workspaceId)).map(toChat),
    findByIdPrefix: createFindByIdPrefix(db, 'chats', toChat),
    update(id, patch) {
      patcher(id, patch, now());
      return get(id);
    },
    remove: (id) => del.run(id).changes > 0,
  };
}
