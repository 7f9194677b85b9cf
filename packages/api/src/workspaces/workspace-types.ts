// The workspace service's public contract: the events it publishes, and what create and remove take and return.
import type { InitialRequest, Workspace } from '@band/store';

// --- events ---

/** Progress of a workspace's `setup` or `teardown` command, streamed on `services.events`. */
export type WorkspaceHookEvent =
  | { phase: 'setup' | 'teardown'; type: 'started'; command: string }
  | { phase: 'setup' | 'teardown'; type: 'output'; chunk: string }
  | {
      phase: 'setup' | 'teardown';
      type: 'exited';
      status: 'completed' | 'failed';
      exitCode: number | null;
      message?: string;
    };

/** The events this service publishes (merged into `BandEvents`). */
export type WorkspaceEvents = {
  /** A workspace was created or changed (status, setup status, active chat...). */
  'workspace.changed': [workspace: Workspace];
  /** A workspace was removed. */
  'workspace.removed': [workspaceId: string, projectId: string];
  /** Output and status of setup / teardown, live. */
  'workspace.hook': [workspaceId: string, event: WorkspaceHookEvent];
};

// --- inputs and results ---

export interface CreateWorkspaceInput extends InitialRequest {
  /** Project id, id prefix or name. */
  project: string;
  branch: string;
  /** Branch (or commit-ish) to start from. @default the project's default branch */
  base?: string;
  /** Resolve only after `setup` finished (the CLI shows progress from `workspace.hook` meanwhile). @default false */
  waitForSetup?: boolean;
}

export interface CreateWorkspaceResult {
  workspace: WorkspaceView;
  /** False when the workspace already existed (creation is idempotent). */
  created: boolean;
}

export interface RemoveWorkspaceInput {
  /** Workspace id, id prefix, or branch (with `project`). */
  workspace: string;
  project?: string;
  /** Also delete the branch. Unmerged branches are kept unless `force`. @default false */
  deleteBranch?: boolean;
  /** Delete the branch even when it has unmerged commits. @default false */
  force?: boolean;
}

export interface RemoveWorkspaceResult {
  workspaceId: string;
  path: string;
  /** Teardown outcome; `none` when the project has no teardown. */
  teardown: { status: 'none' | 'completed' | 'failed'; exitCode: number | null; output: string };
  isBranchDeleted: boolean;
  /** Why the branch was kept, when `deleteBranch` was asked. */
  branchKeptReason?: string;
}

/** What `workspaces.events` streams: record changes and setup/teardown progress. */
export type WorkspaceStreamEvent =
  | { type: 'changed'; workspace: Workspace }
  | { type: 'removed'; workspaceId: string; projectId: string }
  | { type: 'hook'; workspaceId: string; event: WorkspaceHookEvent };

/** A workspace with its project's name, for listings (`PROJECT  BRANCH  WORKSPACE ID  PATH`). */
export type WorkspaceView = Workspace & { projectName: string };

/** Called before a workspace is removed (e.g. the chats service stops its agents). Errors are logged, not fatal. */
export type BeforeRemoveHook = (workspace: Workspace) => Promise<void> | void;
