// The workspace domain as the dashboard renders it, mirroring @band/store records plus the live fields the
// API adds (agent status, git state).
import type { AgentStatus } from '@/components/ui/status-dot';

export interface Project {
  id: string;
  name: string;
  path: string;
  defaultBranch: string;
}

export interface GitState {
  /** Files changed against the base branch or uncommitted. */
  changedFiles?: number;
  ahead?: number;
  behind?: number;
  isDirty?: boolean;
}

export interface Workspace {
  id: string;
  projectId: string;
  branch: string;
  baseBranch: string;
  path: string;
  status: 'creating' | 'ready' | 'removing' | 'error';
  activeChatId: string | null;
  agentStatus?: AgentStatus;
  git?: GitState;
}

export type ChangeKind = 'M' | 'A' | 'D' | 'R' | 'U';

export interface ChangedFile {
  path: string;
  oldPath?: string;
  status: ChangeKind;
  additions?: number;
  deletions?: number;
  binary?: boolean;
}

export interface FileDiff {
  path: string;
  patch: string;
  binary?: boolean;
  truncated?: boolean;
}

export interface TreeEntry {
  name: string;
  path: string;
  type: 'file' | 'dir' | 'symlink';
  size?: number;
}

export interface FileContent {
  path: string;
  content: string | null;
  binary?: boolean;
  truncated?: boolean;
  size?: number;
}

export interface Chat {
  id: string;
  workspaceId: string;
  agentId: string;
  title: string;
  status: AgentStatus;
  lastSeq: number;
}

export interface Turn {
  id: string;
  chatId: string;
  prompt: string;
  status: 'queued' | 'running' | 'done' | 'failed' | 'aborted';
  error: string | null;
  costUsd: number | null;
  durationMs: number | null;
}

/** A stored chat event as the `chats.events` subscription yields it. */
export interface ChatEvent {
  seq: number;
  turnId: string | null;
  type: string;
  event: { type: string; [field: string]: unknown };
  createdAt?: string;
}
