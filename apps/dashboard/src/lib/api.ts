// The workspace-domain procedures the panes call, in one place (so a renamed procedure is fixed here).
import type { BandClient } from '@/lib/trpc';

export type CompareTarget = 'base' | 'uncommitted';

export const api = {
  listProjects: (c: BandClient) => c.projects.list.query(),
  registerProject: (c: BandClient, input: { path: string; name?: string }) => c.projects.register.mutate(input),
  /** Refused while the project has workspaces, unless `cascade` (they are removed too). */
  removeProject: (c: BandClient, input: { project: string; cascade?: boolean }) => c.projects.remove.mutate(input),

  listWorkspaces: (c: BandClient) => c.workspaces.list.query(undefined),
  createWorkspace: (c: BandClient, input: { project: string; branch: string; base?: string; prompt?: string }) => c.workspaces.create.mutate(input),
  removeWorkspace: (c: BandClient, workspace: string) => c.workspaces.remove.mutate({ workspace }),

  listChats: (c: BandClient, workspaceId: string) => c.chats.list.query({ workspaceId }),
  createChat: (c: BandClient, workspaceId: string) => c.chats.create.mutate({ workspaceId, mode: 'edit' }),
  /** Sends to the chat, or to the workspace's active chat (created on first use). */
  send: (c: BandClient, input: { chatId?: string; workspaceId: string; message: string }) => c.chats.send.mutate(input),
  abort: (c: BandClient, chatId: string) => c.chats.abort.mutate({ chatId }),
  /** "Needs attention" becomes "waiting" once the user has engaged with the workspace. */
  markSeen: (c: BandClient, workspaceId: string) => c.chats.markSeen.mutate({ workspaceId }),

  changes: (c: BandClient, workspace: string, against: CompareTarget) => c.changes.status.query({ workspace, against }),
  diff: (c: BandClient, workspace: string, path: string, against: CompareTarget) => c.changes.diff.query({ workspace, path, against }),
  revertFile: (c: BandClient, workspace: string, path: string, against: CompareTarget) => c.changes.revert.mutate({ workspace, path, against }),
  commit: (c: BandClient, workspace: string, message: string) => c.changes.commit.mutate({ workspace, message }),

  listDir: (c: BandClient, workspace: string, path: string) => c.files.list.query({ workspace, path }),
  readFile: (c: BandClient, workspace: string, path: string) => c.files.read.query({ workspace, path }),

  createTerminal: (c: BandClient, workspaceId: string, cols: number, rows: number) => c.terminals.create.mutate({ workspaceId, cols, rows }),
  listTerminals: (c: BandClient, workspaceId: string) => c.terminals.list.query({ workspaceId }),
};
