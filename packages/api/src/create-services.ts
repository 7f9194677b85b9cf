import type { Gate } from '@band/auth';
import { join } from 'node:path';
import type { SettingsStore } from '@band/settings';
import { openStore, type Store } from '@band/store';
import { createEmitter, type TypedEmitter } from './events.js';
import type { Logger } from './internal/logger.js';
import { createWorkspacePathResolver, createWorkspaceResolver } from './internal/workspace-path.js';
import { type ChatService, createChatService } from './chats/chat-service.js';
import type { ChatBusEvents } from './chats/chat-types.js';
import { createDevicesService, type DevicesService } from './devices/devices-service.js';
import { type ChangeService, createChangeService } from './workspaces/change-service.js';
import { createFileService, type FileService } from './workspaces/file-service.js';
import { createProjectService, type ProjectService } from './workspaces/project-service.js';
import { createWorkspaceService, type WorkspaceService } from './workspaces/workspace-service.js';
import type { WorkspaceEvents } from './workspaces/workspace-types.js';
import { createSettingsService, type SettingsService } from './settings/settings-service.js';
import { createLspService, type LspService } from './lsp/lsp-service.js';
import { createTerminalService } from './terminals/terminal-service.js';
import type { TerminalService } from './terminals/terminal-types.js';
import { createTunnelService, type TunnelService } from './tunnel/tunnel-service.js';
import { createUploadService, type UploadService } from './uploads/upload-service.js';

/** What the server composition gives the API. */
export interface ServiceDeps {
  home: string;
  settings: SettingsStore;
  gate: Gate;
  logger: Logger;
  /** Environment for child processes and tool discovery (BAND_CLOUDFLARED_PATH, PATH...). @default process.env */
  env: NodeJS.ProcessEnv;
  /**
   * Opens the tunnel listener (a second loopback listener whose every request is "remote") on 127.0.0.1:`port`
   * (0: an ephemeral port, for quick tunnels; `tunnel.originPort` for named ones) and returns its origin for
   * cloudflared's `--url`. Provided by the server composition; a taken port rejects with an error naming the port
   * and the setting (with `code` and `hint`).
   */
  openTunnelListener?: (options: { port: number }) => Promise<{ url: string; close(): Promise<void> }>;
}

/** Events published across services and streamed to subscribers. */
export type BandEvents = {
  /** A workspace's agent status changed (waiting / working / done / needs-attention). */
  'workspace.status': [workspaceId: string, status: 'waiting' | 'working' | 'done' | 'needs-attention'];
  /** One event appended to a chat's log (stored first: its per-chat seq is final). */
  'chat.event': ChatBusEvents['chat.event'];
  /** A workspace record was created or changed (status, setup status...). */
  'workspace.changed': WorkspaceEvents['workspace.changed'];
  /** A workspace was removed. */
  'workspace.removed': WorkspaceEvents['workspace.removed'];
  /** Live setup / teardown output and status. */
  'workspace.hook': WorkspaceEvents['workspace.hook'];
};

/** Every service of the Band server. Each is a factory with explicit dependencies, testable without tRPC. */
export interface Services {
  deps: ServiceDeps;
  events: TypedEmitter<BandEvents>;
  settings: SettingsService;
  devices: DevicesService;
  terminals: TerminalService;
  lsp: LspService;
  tunnel: TunnelService;
  /** band.db (opened here, closed last). */
  store: Store;
  chats: ChatService;
  projects: ProjectService;
  workspaces: WorkspaceService;
  changes: ChangeService;
  files: FileService;
  /** Attachments: `BAND_HOME/uploads/<workspaceId>/`. */
  uploads: UploadService;
}

/** Closers run in reverse order of creation at shutdown. */
export interface ServicesHandle {
  services: Services;
  close(): Promise<void>;
}

export async function createServices(deps: ServiceDeps): Promise<ServicesHandle> {
  const closers: Array<() => Promise<void> | void> = [];
  const events = createEmitter<BandEvents>();
  // Terminals and language servers find worktrees through the workspaces service, looked up when first needed.
  const resolveWorkspacePath = createWorkspacePathResolver(() => services.workspaces);
  // Language servers are keyed by the resolved workspace id: its id, an id prefix and its branch share one server.
  const resolveWorkspace = createWorkspaceResolver(() => services.workspaces);
  // band.db, shared by the projects/workspaces/chats services; closed after every service that uses it.
  const store = openStore(join(deps.home, 'band.db'));
  closers.push(() => store.close());
  const uploads = createUploadService({ home: deps.home, store });
  const services: Services = {
    deps,
    store,
    uploads,
    chats: createChatService({
      store,
      settings: deps.settings,
      events,
      logger: deps.logger,
      home: deps.home,
      env: deps.env,
      uploads,
    }),
    events,
    settings: createSettingsService({ settings: deps.settings, env: deps.env }),
    terminals: createTerminalService({ resolveWorkspacePath, logger: deps.logger, env: deps.env }),
    lsp: createLspService({ resolveWorkspacePath: resolveWorkspace, logger: deps.logger, env: deps.env }),
    devices: createDevicesService({ gate: deps.gate, settings: deps.settings }),
    tunnel: createTunnelService(deps),
    workspaces: createWorkspaceService({
      store,
      settings: deps.settings,
      events,
      logger: deps.logger,
      env: deps.env,
      // `workspaces create --prompt`: the chat starts once setup has settled.
      onReady: (workspace) => services.chats.runInitialRequest(workspace.id),
    }),
    projects: createProjectService({
      store,
      logger: deps.logger,
      env: deps.env,
      removeWorkspace: (workspaceId) => services.workspaces.remove({ workspace: workspaceId }),
    }),
    changes: createChangeService({ store, logger: deps.logger, env: deps.env }),
    files: createFileService({ store }),
  };
  // A removed workspace's attachments go with it.
  events.on('workspace.removed', (workspaceId) => {
    try {
      uploads.removeWorkspace(workspaceId);
    } catch (error) {
      deps.logger.warn(`workspace ${workspaceId}: could not delete its uploads: ${(error as Error).message}`);
    }
  });
  // Agents working in a worktree stop before it is deleted.
  services.workspaces.addBeforeRemoveHook(async (workspace) => {
    for (const chat of store.chats.list(workspace.id))
      await services.chats.abort({ chatId: chat.id, clearQueue: true });
  });
  closers.push(() => services.workspaces.close()); // stops running setup/teardown commands
  closers.push(() => services.tunnel.close());
  closers.push(() => services.terminals.close());
  closers.push(() => services.lsp.close());
  closers.push(() => services.chats.close()); // aborts running agents (whole process trees)
  await services.chats.start();
  let closing: Promise<void> | undefined;
  return {
    services,
    close() {
      closing ??= (async () => {
        for (const close of closers.reverse()) {
          try {
            await close();
          } catch (error) {
            deps.logger.error(`service shutdown failed: ${(error as Error).message}`);
          }
        }
      })();
      return closing;
    },
  };
}
