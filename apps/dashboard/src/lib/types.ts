// The shapes the dashboard renders, all inferred from @band/api's router (RouterOutputs): one module, no copies.
import type { RouterOutputs } from '@band/api';

export type Project = RouterOutputs['projects']['list'][number];
export type Workspace = RouterOutputs['workspaces']['list'][number];
export type ChangesStatus = RouterOutputs['changes']['status'];
export type ChangedFile = ChangesStatus['files'][number];
export type ChangeKind = ChangedFile['status'];
/** What the Changes pane compares the worktree with: the base branch, or the last commit. */
export type CompareTarget = 'base' | 'uncommitted';
export type FileDiff = RouterOutputs['changes']['diff'];
export type DirectoryListing = RouterOutputs['files']['list'];
export type TreeEntry = DirectoryListing['entries'][number];
export type FileContent = RouterOutputs['files']['read'];
export type Chat = RouterOutputs['chats']['list'][number];
export type ChatHistoryPage = RouterOutputs['chats']['history'];
export type ChatEventEnvelope = ChatHistoryPage['events'][number];
export type AgentStatus = Chat['status'];
export type TunnelStatus = RouterOutputs['tunnel']['status'];
export type TunnelState = TunnelStatus['state'];
export type Device = RouterOutputs['devices']['list'][number];
export type BandSettings = RouterOutputs['settings']['get'];
/** What every page's first HTML is rendered with (lib/page-data.ts reads it on the server). */
export interface ShellData {
  projects: Project[];
  workspaces: Workspace[];
  statuses: RouterOutputs['chats']['statusList'];
}

/** The chat a workspace's page opens with and the newest page of its history (lib/page-data.ts). */
export interface ChatPageData {
  chatId: string;
  history: ChatHistoryPage;
}

/** A stored chat event as the Chat pane folds it. */
export interface ChatEvent {
  seq: number;
  turnId: string | null;
  type: string;
  event: { type: string; [field: string]: unknown };
}
