// Public face of @band/api: every export is listed by hand, grouped by topic. Only what Band's apps and the
// server composition use is exported; services, routers and socket routes stay internal (tested from src/).

// Composition (used by @band/server)
export { createBandApi } from './create-band-api.js';
export type { BandApi, BandApiOptions } from './create-band-api.js';
export type { Logger } from './logger.js';

// Router types for clients (CLI, dashboard, desktop): createTRPCClient<AppRouter>(…)
export type { AppRouter, RouterInputs, RouterOutputs } from './root.js';
export type { Context } from './context.js';

// Input schemas (zod), reused by the CLI and dashboard forms
export { setSettingInput } from './routers/settings.js';
export { revokeDeviceInput, createPairingCodeInput } from './routers/devices.js';
export { listTerminalsInput, createTerminalInput, killTerminalInput, sendTerminalInput, terminalOutputInput, resizeTerminalInput, terminalEventsInput } from './routers/terminals.js';
export { registerProjectInput, getProjectInput, removeProjectInput } from './routers/projects.js';
export { listWorkspacesInput, getWorkspaceInput, createWorkspaceInput, removeWorkspaceInput, runSetupInput, workspaceEventsInput } from './routers/workspaces.js';
export { changesStatusInput, changesDiffInput, revertFileInput, commitInput } from './routers/changes.js';
export { listFilesInput, readFileInput } from './routers/files.js';
export { listChatsInput, createChatInput, sendChatInput, abortChatInput, chatHistoryInput, chatEventsInput, markSeenInput } from './routers/chats.js';

// Shapes a client sees (procedure outputs and stream messages)
export type { Services, BandEvents } from './services/index.js';
export type { TunnelStatus, TunnelService } from './services/tunnel-service.js';
export type { ChatService, ChatEvent, ChatEventEnvelope, AgentStatus, SendResult, AbortResult, ChatHistory } from './services/chat-service.js';
export type { ProjectService, RemoveProjectResult } from './services/project-service.js';
export type { WorkspaceService, WorkspaceView, WorkspaceStreamEvent, CreateWorkspaceResult, RemoveWorkspaceResult } from './services/workspace-service.js';
export type { ChangeService, ChangesStatus, ChangedFile, FileDiff, CompareTarget } from './services/change-service.js';
export type { ChangeStatus } from './git/parse.js';
export type { FileService, FileEntry, DirectoryListing, FileContent } from './services/file-service.js';
export type { TerminalService, TerminalInfo, TerminalStreamEvent } from './services/terminal-service.js';
export type { TerminalClientMessage, TerminalServerMessage } from './ws/terminals.js';
export type { LspService, LspServerInfo, LspAttachInfo } from './services/lsp-service.js';

// Building blocks for packages/agents/bench (chat streaming without the whole API); not for apps
export { appRouter } from './root.js';
export { createContextInner } from './context.js';
export { createChatService } from './services/chat-service.js';
export type { ChatServiceDeps } from './services/chat-service.js';

// Errors
export { BandApiError } from './errors.js';
export type { BandApiErrorCode } from './errors.js';
export { TunnelCheckError } from './services/tunnel-service.js';
