// The workspace-domain procedures the panes call, in one place (so a renamed procedure is fixed here).
import type { BandClient } from '@/lib/trpc';

export type CompareTarget = 'base' | 'uncommitted';

export const api = {
  listProjects: (c: BandClient) => c.projects.list.query(),
  registerProject: (c: BandClient, input: { path: string; name?: string }) => c.projects.register.mutate(input),
  /** Folder picker: sub-directories of a folder under the server's home. */
  browseFolders: (c: BandClient, path: string) => c.projects.browse.query({ path }),
  /** The git repositories under the server's home, most recent first. */
  discoverRepositories: (c: BandClient) => c.projects.discover.query(),
  /** Refused while the project has workspaces, unless `cascade` (they are removed too). */
  removeProject: (c: BandClient, input: { project: string; cascade?: boolean }) => c.projects.remove.mutate(input),

  listWorkspaces: (c: BandClient) => c.workspaces.list.query(undefined),
  createWorkspace: (
    c: BandClient,
    input: {
      project: string;
      branch: string;
      base?: string;
      prompt?: string;
      agent?: string;
      model?: string;
      mode?: string;
    },
  ) => c.workspaces.create.mutate(input),
  removeWorkspace: (c: BandClient, workspace: string) => c.workspaces.remove.mutate({ workspace }),

  listChats: (c: BandClient, workspaceId: string) => c.chats.list.query({ workspaceId }),
  /** A new chat, the workspace's active one; without a pick, the default agent in edit mode. */
  createChat: (c: BandClient, workspaceId: string, pick?: { agent?: string; model?: string; mode?: string }) =>
    c.chats.create.mutate({ workspaceId, mode: 'edit', ...pick }),
  /** Sends to the chat, or to the workspace's active chat (created on first use). */
  send: (c: BandClient, input: { chatId?: string; workspaceId: string; message: string; attachmentIds?: string[] }) =>
    c.chats.send.mutate(input),
  /** Uploads one file for the workspace's next message (multipart, through httpLink); returns its attachment id. */
  upload: (c: BandClient, workspaceId: string, file: File) => {
    const form = new FormData();
    form.set('workspaceId', workspaceId);
    form.set('file', file);
    // The server's input type is Node's FormData (undici), the same shape as the DOM's.
    return c.uploads.create.mutate(form as unknown as Parameters<typeof c.uploads.create.mutate>[0]);
  },
  /** Stop: the running turn ends and the queued messages wait (paused) for Send now or Discard. */
  abort: (c: BandClient, chatId: string) => c.chats.abort.mutate({ chatId }),
  resume: (c: BandClient, chatId: string, turnId?: string) => c.chats.resume.mutate({ chatId, turnId }),
  discard: (c: BandClient, chatId: string, turnId: string) => c.chats.discard.mutate({ chatId, turnId }),
  /** "Needs attention" becomes "waiting" once the user has engaged with the workspace. */
  markSeen: (c: BandClient, workspaceId: string) => c.chats.markSeen.mutate({ workspaceId }),

  changes: (c: BandClient, workspace: string, against: CompareTarget) => c.changes.status.query({ workspace, against }),
  diff: (c: BandClient, workspace: string, path: string, against: CompareTarget) =>
    c.changes.diff.query({ workspace, path, against }),
  revertFile: (c: BandClient, workspace: string, path: string, against: CompareTarget) =>
    c.changes.revert.mutate({ workspace, path, against }),
  commit: (c: BandClient, workspace: string, message: string) => c.changes.commit.mutate({ workspace, message }),

  listDir: (c: BandClient, workspace: string, path: string) => c.files.list.query({ workspace, path }),
  readFile: (c: BandClient, workspace: string, path: string) => c.files.read.query({ workspace, path }),

  createTerminal: (c: BandClient, workspaceId: string, cols: number, rows: number) =>
    c.terminals.create.mutate({ workspaceId, cols, rows }),
  listTerminals: (c: BandClient, workspaceId: string) => c.terminals.list.query({ workspaceId }),
};
