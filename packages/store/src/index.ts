// Public face of @band/store: every export is listed by hand, grouped by topic.

// Opening
export { openStore, storeDefaults } from './open-store.js';
export type { Store, StoreOptions } from './open-store.js';
export { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
export type { Migration } from './migrations.js';

// Records
export type {
  Project,
  Workspace,
  WorkspaceStatus,
  SetupStatus,
  InitialRequest,
  Chat,
  ChatStatus,
  Turn,
  TurnStatus,
  ChatEventInput,
  ChatEventRecord,
} from './types.js';

// Repositories
export type { ProjectsRepository, NewProject } from './repositories/projects.js';
export type { WorkspacesRepository, NewWorkspace, WorkspacePatch } from './repositories/workspaces.js';
export type { ChatsRepository, NewChat, ChatPatch } from './repositories/chats.js';
export type { TurnsRepository, NewTurn, TurnResult } from './repositories/turns.js';
export type { ChatEventsRepository } from './repositories/chat-events.js';
export { DEFAULT_EVENTS_PAGE, MAX_EVENTS_PAGE } from './repositories/chat-events.js';

// Ids
export { newId } from './ids.js';

// Errors
export { StoreError, isStoreError } from './errors.js';
export type { StoreErrorCode, StoreErrorOptions } from './errors.js';
