// Calls into the workspace-domain routers (projects, workspaces, chats, changes, files). Components use these
// functions rather than the client directly, so a renamed procedure is fixed in one place.
import type { BandClient } from '@/lib/trpc';
import type { ChangedFile, Chat, FileContent, FileDiff, Project, TreeEntry, Turn, Workspace } from '@/lib/workspace-types';

type Loose = any;
const loose = (client: BandClient): Loose => client as unknown as Loose;

export type CompareTarget = 'base' | 'uncommitted';

export const api = {
  listProjects: (c: BandClient): Promise<Project[]> => loose(c).projects.list.query(),
  addProject: (c: BandClient, input: { path: string; name?: string }): Promise<Project> => loose(c).projects.add.mutate(input),
  removeProject: (c: BandClient, id: string): Promise<unknown> => loose(c).projects.remove.mutate({ id }),

  listWorkspaces: (c: BandClient): Promise<Workspace[]> => loose(c).workspaces.list.query({}),
  getWorkspace: (c: BandClient, id: string): Promise<Workspace> => loose(c).workspaces.get.query({ id }),
  createWorkspace: (c: BandClient, input: { projectId: string; branch: string; base?: string; prompt?: string }): Promise<Workspace> =>
    loose(c).workspaces.create.mutate(input),
  removeWorkspace: (c: BandClient, id: string): Promise<unknown> => loose(c).workspaces.remove.mutate({ id }),

  listChats: (c: BandClient, workspaceId: string): Promise<Chat[]> => loose(c).chats.list.query({ workspaceId }),
  createChat: (c: BandClient, workspaceId: string): Promise<Chat> => loose(c).chats.create.mutate({ workspaceId }),
  sendMessage: (c: BandClient, chatId: string, prompt: string): Promise<Turn> => loose(c).chats.send.mutate({ chatId, prompt }),
  abortChat: (c: BandClient, chatId: string): Promise<unknown> => loose(c).chats.abort.mutate({ chatId }),
  listTurns: (c: BandClient, chatId: string): Promise<Turn[]> => loose(c).chats.turns.query({ chatId }),

  changes: (c: BandClient, workspaceId: string, target: CompareTarget): Promise<ChangedFile[]> => loose(c).changes.status.query({ workspaceId, target }),
  diff: (c: BandClient, workspaceId: string, path: string, target: CompareTarget): Promise<FileDiff> =>
    loose(c).changes.diff.query({ workspaceId, path, target }),
  revertFile: (c: BandClient, workspaceId: string, path: string): Promise<unknown> => loose(c).changes.revert.mutate({ workspaceId, path }),
  commit: (c: BandClient, workspaceId: string, message: string): Promise<unknown> => loose(c).changes.commit.mutate({ workspaceId, message }),

  tree: (c: BandClient, workspaceId: string, path: string): Promise<TreeEntry[]> => loose(c).files.tree.query({ workspaceId, path }),
  readFile: (c: BandClient, workspaceId: string, path: string): Promise<FileContent> => loose(c).files.read.query({ workspaceId, path }),

  createTerminal: (c: BandClient, workspaceId: string, cols: number, rows: number) => c.terminals.create.mutate({ workspaceId, cols, rows }),
  listTerminals: (c: BandClient, workspaceId: string) => c.terminals.list.query({ workspaceId }),
};

/** `chats.events` subscription, resumed by tRPC with `lastEventId` after a reconnect. */
export function subscribeChatEvents(
  c: BandClient,
  chatId: string,
  lastEventId: string | undefined,
  handlers: { onData(value: { id: string; data: unknown }): void; onError(error: unknown): void; onStarted?(): void },
): { unsubscribe(): void } {
  return loose(c).chats.events.subscribe({ chatId, lastEventId }, handlers);
}
