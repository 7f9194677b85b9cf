// Public face of @band/api: every export is listed by hand, grouped by topic. Only what Band's apps and the
// server composition use is exported; services, routers and socket routes stay internal (tested from src/).

// Composition (used by @band/server)
export { createBandApi, UPLOAD_ROUTES } from './create-band-api.js';
export type { BandApi, BandApiOptions } from './create-band-api.js';
export type { Logger } from './internal/logger.js';

// Router types for clients (CLI, dashboard, desktop): createTRPCClient<AppRouter>(…)
export type { AppRouter, BandCaller, RouterInputs, RouterOutputs } from './root.js';
export type { Context } from './context.js';

// Input schemas (zod), reused by the CLI and dashboard forms
export { setSettingInput } from './settings/settings-router.js';
export { revokeDeviceInput, createPairingCodeInput } from './devices/devices-router.js';
export {
  listTerminalsInput,
  createTerminalInput,
  killTerminalInput,
  sendTerminalInput,
  terminalOutputInput,
  resizeTerminalInput,
  terminalEventsInput,
} from './terminals/terminals-router.js';
export { registerProjectInput, getProjectInput, removeProjectInput } from './workspaces/projects-router.js';
export {
  listWorkspacesInput,
  getWorkspaceInput,
  createWorkspaceInput,
  removeWorkspaceInput,
  runSetupInput,
  workspaceEventsInput,
} from './workspaces/workspaces-router.js';
export { changesStatusInput, changesDiffInput, revertFileInput, commitInput } from './workspaces/changes-router.js';
export { listFilesInput, readFileInput } from './workspaces/files-router.js';
export { uploadLimits } from './uploads/upload-service.js';
export {
  listChatsInput,
  createChatInput,
  sendChatInput,
  abortChatInput,
  chatHistoryInput,
  chatEventsInput,
  markSeenInput,
} from './chats/chats-router.js';

// Shapes a client sees (procedure outputs and stream messages)
export type { Services, BandEvents } from './create-services.js';
export type { TunnelStatus, TunnelService } from './tunnel/tunnel-service.js';
export type { ChatService } from './chats/chat-service.js';
export type {
  ChatEvent,
  ChatEventEnvelope,
  AgentStatus,
  SendResult,
  AbortResult,
  ChatHistory,
  MessageAttachment,
} from './chats/chat-types.js';
export type { UploadService, Attachment } from './uploads/upload-service.js';
export type { ProjectService, RemoveProjectResult } from './workspaces/project-service.js';
export type { WorkspaceService } from './workspaces/workspace-service.js';
export type {
  WorkspaceView,
  WorkspaceStreamEvent,
  CreateWorkspaceResult,
  RemoveWorkspaceResult,
} from './workspaces/workspace-types.js';
export type {
  ChangeService,
  ChangesStatus,
  ChangedFile,
  FileDiff,
  CompareTarget,
} from './workspaces/change-service.js';
export type { ChangeStatus } from './workspaces/git/parse.js';
export type { FileService, FileEntry, DirectoryListing, FileContent } from './workspaces/file-service.js';
export type { TerminalService, TerminalInfo, TerminalStreamEvent } from './terminals/terminal-types.js';
export type { TerminalClientMessage, TerminalServerMessage } from './terminals/terminal-socket.js';
export type { LspService, LspServerInfo, LspAttachInfo } from './lsp/lsp-service.js';

// Errors
export { BandApiError } from './errors.js';
export type { BandApiErrorCode } from './errors.js';
export { TunnelCheckError } from './tunnel/tunnel-checks.js';
