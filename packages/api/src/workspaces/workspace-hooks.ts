// A workspace's `setup` and `teardown` commands (band-docs §2.6): run in the worktree with the workspace's BAND_*
// variables, their output streamed as `workspace.hook` events, their outcome kept on the record. Setup runs in the
// background, one at a time per workspace; teardown runs inside a remove, which waits for it.
import type { Project, Store, Workspace } from '@band/store';
import { withoutBandVariables } from '@band/agents';
import type { TypedEmitter } from '../events.js';
import type { Logger } from '../internal/logger.js';
import { type HookResult, readBandConfig, runHook } from './git/hooks.js';
import type { RemoveWorkspaceResult, WorkspaceEvents, WorkspaceHookEvent } from './workspace-types.js';

/** Setup output kept in the store (the tail). */
const SETUP_OUTPUT_BYTES = 64 * 1024;

export interface WorkspaceHooksDeps {
  store: Store;
  events: TypedEmitter<WorkspaceEvents>;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** @default 1_800_000 for setup (runHook's default), 300_000 for teardown */
  hookTimeoutMs: number | undefined;
  /** Writes the record and announces the change. */
  update(id: string, patch: Parameters<Store['workspaces']['update']>[1]): Workspace | undefined;
}

export interface WorkspaceHooks {
  /** Runs `setup` in the background; the promise settles when it has (it never rejects). */
  startSetup(workspace: Workspace, project: Project): Promise<void>;
  isSetupRunning(workspaceId: string): boolean;
  /** Stops a running setup and waits for it to settle. */
  stopSetup(workspaceId: string): Promise<void>;
  whenSetupSettled(workspaceId: string): Promise<void>;
  /** Runs `teardown` in the worktree, if the project has one; its failure is reported, not thrown. */
  runTeardown(workspace: Workspace, project: Project): Promise<RemoveWorkspaceResult['teardown']>;
  /** Stops every running command and waits for them. */
  close(): Promise<void>;
}

export function createWorkspaceHooks(deps: WorkspaceHooksDeps): WorkspaceHooks {
  const { store, events, logger, update } = deps;
  const running = new Map<string, { promise: Promise<void>; controller: AbortController }>();
  const shutdown = new AbortController();

  /** Runs `setup` or `teardown` in the worktree, publishing `started` and every output chunk as `workspace.hook`. */
  function run(
    phase: WorkspaceHookEvent['phase'],
    workspace: Workspace,
    project: Project,
    options: { command: string; signal: AbortSignal; timeoutMs: number | undefined },
  ): Promise<HookResult> {
    const { command } = options;
    events.emit('workspace.hook', workspace.id, { phase, type: 'started', command });
    return runHook({
      command,
      cwd: workspace.path,
      env: hookEnv(deps.env, workspace, project),
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      maxOutputBytes: SETUP_OUTPUT_BYTES,
      onOutput: (chunk) => events.emit('workspace.hook', workspace.id, { phase, type: 'output', chunk }),
    });
  }

  async function setup(workspace: Workspace, project: Project, signal: AbortSignal): Promise<void> {
    const config = await readBandConfig(workspace.path, project.path);
    if (config.kind === 'none' || (config.kind === 'ok' && !config.config.setup)) {
      update(workspace.id, { setupStatus: 'none', setupOutput: '', setupExitCode: null });
      return;
    }
    if (config.kind === 'invalid') {
      const message = `Invalid ${config.file}: ${config.message}`;
      update(workspace.id, { setupStatus: 'failed', setupOutput: message, setupExitCode: null });
      events.emit('workspace.hook', workspace.id, {
        phase: 'setup',
        type: 'exited',
        status: 'failed',
        exitCode: null,
        message,
      });
      return;
    }
    const command = config.config.setup!;
    update(workspace.id, { setupStatus: 'running', setupOutput: '', setupExitCode: null });
    const result = await run('setup', workspace, project, { command, signal, timeoutMs: deps.hookTimeoutMs });
    const ok = result.exitCode === 0;
    const message = result.isTimedOut
      ? 'setup timed out and was stopped'
      : result.isAborted
        ? 'setup was stopped'
        : undefined;
    // The workspace is kept when setup fails (band-docs §2.6); the dashboard shows the failure.
    if (store.isOpen && store.workspaces.get(workspace.id)) {
      update(workspace.id, {
        setupStatus: ok ? 'completed' : 'failed',
        setupOutput: message ? `${result.output}\n[band] ${message}` : result.output,
        setupExitCode: result.exitCode,
      });
    }
    events.emit('workspace.hook', workspace.id, {
      phase: 'setup',
      type: 'exited',
      status: ok ? 'completed' : 'failed',
      exitCode: result.exitCode,
      message,
    });
    if (!ok) logger.warn(`setup failed in ${workspace.path} (exit ${result.exitCode ?? result.signal})`);
  }

  return {
    startSetup(workspace, project) {
      const controller = new AbortController();
      const onShutdown = () => controller.abort();
      shutdown.signal.addEventListener('abort', onShutdown, { once: true });
      const promise = setup(workspace, project, controller.signal)
        .catch((error) => {
          logger.error(`setup of workspace ${workspace.id} crashed: ${(error as Error).message}`);
          if (store.isOpen && store.workspaces.get(workspace.id))
            update(workspace.id, { setupStatus: 'failed', setupOutput: String(error) });
        })
        .finally(() => {
          shutdown.signal.removeEventListener('abort', onShutdown);
          if (running.get(workspace.id)?.promise === promise) running.delete(workspace.id);
        });
      running.set(workspace.id, { promise, controller });
      return promise;
    },
    isSetupRunning: (workspaceId) => running.has(workspaceId),
    async stopSetup(workspaceId) {
      const active = running.get(workspaceId);
      if (!active) return;
      active.controller.abort();
      await active.promise;
    },
    async whenSetupSettled(workspaceId) {
      await running.get(workspaceId)?.promise;
    },
    async runTeardown(workspace, project) {
      const config = await readBandConfig(workspace.path, project.path);
      if (config.kind === 'invalid') {
        return { status: 'failed', exitCode: null, output: `Invalid ${config.file}: ${config.message}` };
      }
      if (config.kind !== 'ok' || !config.config.teardown) return { status: 'none', exitCode: null, output: '' };
      const result = await run('teardown', workspace, project, {
        command: config.config.teardown,
        signal: shutdown.signal,
        timeoutMs: deps.hookTimeoutMs ?? 300_000,
      });
      const status = result.exitCode === 0 ? 'completed' : 'failed';
      events.emit('workspace.hook', workspace.id, {
        phase: 'teardown',
        type: 'exited',
        status,
        exitCode: result.exitCode,
      });
      if (status === 'failed')
        logger.warn(`teardown failed in ${workspace.path} (exit ${result.exitCode}); removing anyway`);
      return { status, exitCode: result.exitCode, output: result.output };
    },
    async close() {
      shutdown.abort();
      await Promise.allSettled([...running.values()].map((r) => r.promise));
    },
  };
}

function hookEnv(env: NodeJS.ProcessEnv, workspace: Workspace, project: Project): NodeJS.ProcessEnv {
  return {
    // None of the server's own BAND_* variables (BAND_TOKEN...): only those that describe this workspace.
    ...withoutBandVariables(env),
    BAND_WORKSPACE_ID: workspace.id,
    BAND_WORKSPACE_PATH: workspace.path,
    BAND_BRANCH: workspace.branch,
    BAND_BASE_BRANCH: workspace.baseBranch,
    BAND_PROJECT_NAME: project.name,
    BAND_PROJECT_PATH: project.path,
  };
}
