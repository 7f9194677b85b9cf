// Public face of @band/api: every export is listed by hand, grouped by topic.

// Composition
export { createBandApi, TRPC_HTTP_PATH, TRPC_WS_PATH, HEARTBEAT_MS } from './create-band-api.js';
export type { BandApi, BandApiOptions } from './create-band-api.js';

// Router and types for clients (CLI, dashboard)
export { appRouter, createCaller } from './root.js';
export type { AppRouter, RouterInputs, RouterOutputs } from './root.js';
export { createContextInner } from './context.js';
export type { Context } from './context.js';

// Input schemas, reused by the CLI and dashboard forms
export { setSettingInput } from './routers/settings.js';
export { revokeDeviceInput, createPairingCodeInput } from './routers/devices.js';
export { listTerminalsInput, createTerminalInput, killTerminalInput, sendTerminalInput, terminalOutputInput, resizeTerminalInput, terminalEventsInput } from './routers/terminals.js';
export { registerProjectInput, getProjectInput, removeProjectInput } from './routers/projects.js';
export { listWorkspacesInput, getWorkspaceInput, createWorkspaceInput, removeWorkspaceInput, runSetupInput, workspaceEventsInput } from './routers/workspaces.js';
export { changesStatusInput, changesDiffInput, revertFileInput, commitInput } from './routers/changes.js';
export { listFilesInput, readFileInput } from './routers/files.js';
export { listChatsInput, createChatInput, sendChatInput, abortChatInput, chatHistoryInput, chatEventsInput, markSeenInput } from './routers/chats.js';

// Services
export { createServices } from './services/index.js';
export type { Services, ServiceDeps, ServicesHandle, BandEvents } from './services/index.js';
export type { TunnelStatus, TunnelService } from './services/tunnel-service.js';
export { TunnelCheckError } from './services/tunnel-service.js';
export { createChatService } from './services/chat-service.js';
export type { ChatService, ChatServiceDeps, ChatEvent, ChatEventEnvelope, ChatServiceEvent, AgentStatus, SendResult, AbortResult, ChatHistory } from './services/chat-service.js';

// Projects, workspaces, changes, files
export { createProjectService, resolveProjectRecord } from './services/project-service.js';
export type { ProjectService, ProjectServiceDeps, RegisterProjectInput, RemoveProjectInput, RemoveProjectResult } from './services/project-service.js';
export { createWorkspaceService, resolveWorkspaceRecord, getWorktreePath } from './services/workspace-service.js';
export type {
  WorkspaceService,
  WorkspaceServiceDeps,
  WorkspaceView,
  WorkspaceEvents,
  WorkspaceHookEvent,
  WorkspaceStreamEvent,
  CreateWorkspaceInput,
  CreateWorkspaceResult,
  RemoveWorkspaceInput,
  RemoveWorkspaceResult,
  BeforeRemoveHook,
} from './services/workspace-service.js';
export { createChangeService, changeDefaults } from './services/change-service.js';
export type { ChangeService, ChangeServiceDeps, ChangesStatus, ChangedFile, FileDiff, CompareTarget } from './services/change-service.js';
export type { ChangeStatus } from './git/parse.js';
export { createFileService, fileDefaults } from './services/file-service.js';
export type { FileService, FileServiceDeps, FileEntry, DirectoryListing, FileContent } from './services/file-service.js';

// Terminals and language servers (raw WebSocket endpoints; protocol in the README, section "Terminals")
export { createTerminalService, terminalDefaults, TERMINAL_SIZE_LIMITS } from './services/terminal-service.js';
export type { TerminalService, TerminalServiceOptions, TerminalInfo, CreateTerminalInput, TerminalViewer, TerminalAttachment, TerminalStreamEvent } from './services/terminal-service.js';
export { TERMINALS_WS_PATH, TERMINAL_MAX_MESSAGE_BYTES, createTerminalSocketRoute } from './ws/terminals.js';
export type { TerminalClientMessage, TerminalServerMessage } from './ws/terminals.js';
export { createLspService, defaultLanguageServers } from './services/lsp-service.js';
export type { LspService, LspServiceOptions, LspServerInfo, LspAttachInfo } from './services/lsp-service.js';
export type { LanguageServerSpec } from './lsp/language-server.js';
export { LSP_WS_PATH, LSP_MAX_MESSAGE_BYTES, createLspSocketRoute } from './ws/lsp.js';
export { createMessageReader, encodeMessage } from './lsp/content-length.js';
export { SOCKET_CLOSE, createSocketBudget } from './terminals/socket-caps.js';
export type { SocketBudget } from './terminals/socket-caps.js';

// Errors and utilities
export { BandApiError, toTRPCError } from './errors.js';
export type { BandApiErrorCode } from './errors.js';
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
