// `band workspaces list|create|remove`: git worktrees, one branch each.
import { Command, InvalidArgumentError } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { renderTable } from '../output.js';

interface WorkspaceRow {
  id: string;
  projectId: string;
  projectName?: string;
  branch: string;
  path: string;
  status: string;
  setupStatus?: string;
  setupOutput?: string;
  setupExitCode?: number | null;
}

const parseMaxTurns = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive whole number');
  return n;
};

export function workspacesCommand(ctx: CliContext): Command {
  const workspaces = new Command('workspaces').description('Git worktrees on their own branches, where agents work');

  workspaces
    .command('list')
    .description("List all workspaces, or one project's")
    .argument('[project]', 'project name')
    .action(async (project?: string) => {
      const rows = (await ctx.client.workspaces.list.query(project ? { project } : undefined)) as WorkspaceRow[];
      ctx.out.print(rows, (r, style) =>
        renderTable(
          r,
          [
            { header: 'PROJECT', value: (w) => w.projectName ?? w.projectId },
            { header: 'BRANCH', value: (w) => w.branch },
            { header: 'WORKSPACE ID', value: (w) => w.id },
            { header: 'PATH', value: (w) => w.path },
          ],
          style,
        ),
      );
    });

  workspaces
    .command('create')
    .description("Create a worktree on a new branch (from the project's default branch) and run the project's setup")
    .argument('<project>', 'project name')
    .argument('<branch>', 'new branch, e.g. feat/login')
    .option('--base <branch>', 'branch to start from (default: the project default branch)')
    .option('--prompt <text>', 'start a chat in the new workspace with this first prompt')
    .option('--agent <id>', 'coding agent for that first prompt')
    .option('--model <name>', 'model for that first prompt')
    .option('--mode <mode>', 'mode for that first prompt, e.g. plan or edit')
    .option('--max-turns <n>', 'turn limit for that first prompt', parseMaxTurns)
    .addHelpText(
      'after',
      '\nExamples:\n  band workspaces create myapp feat/login\n  band workspaces ' +
        'create myapp fix/crash --base release --prompt "Find the crash in checkout"',
    )
    .action(
      async (
        project: string,
        branch: string,
        opts: { base?: string; prompt?: string; agent?: string; model?: string; mode?: string; maxTurns?: number },
      ) => {
        ctx.err.progress(`Creating workspace ${project} ${branch}…`);
        // Live setup output on stderr while the mutation waits for setup (best effort: the result is authoritative).
        const ours = new Set<string>();
        let streamed = false;
        let started: () => void = () => {};
        const subscribed = new Promise<void>((resolve) => {
          started = resolve;
          setTimeout(resolve, 2_000).unref();
        });
        const progress = ctx.client.workspaces.events.subscribe(undefined, {
          onStarted: () => started(),
          onData(event) {
            if (event.type === 'changed' && event.workspace.branch === branch) ours.add(event.workspace.id);
            if (event.type !== 'hook' || !ours.has(event.workspaceId)) return;
            const hook = event.event;
            if (hook.type === 'started') ctx.err.progress(`${hook.phase}: ${hook.command}`);
            else if (hook.type === 'output') {
              streamed = true;
              ctx.err.write(ctx.err.style.dim(hook.chunk));
            }
          },
          onError: () => started(),
        });
        await subscribed;
        let result: { workspace: WorkspaceRow; created: boolean };
        try {
          result = (await ctx.client.workspaces.create.mutate({
            project,
            branch,
            base: opts.base,
            prompt: opts.prompt,
            agent: opts.agent,
            model: opts.model,
            mode: opts.mode,
            maxTurns: opts.maxTurns,
            waitForSetup: true,
          })) as { workspace: WorkspaceRow; created: boolean };
        } finally {
          progress.unsubscribe();
        }
        const ws = result.workspace;
        if (!result.created) ctx.err.progress('It already existed: nothing was created.');
        if (ws.setupStatus === 'failed') {
          const exit = ws.setupExitCode !== null && ws.setupExitCode !== undefined ? ` (exit ${ws.setupExitCode})` : '';
          ctx.err.warn(`setup failed${exit}`);
          if (!streamed && ws.setupOutput)
            ctx.err.write(ws.setupOutput.endsWith('\n') ? ws.setupOutput : `${ws.setupOutput}\n`);
        } else if (ws.setupStatus === 'completed') ctx.err.progress('setup completed');
        ctx.out.print(result, (r) => `${r.workspace.path}\n`);
        if (ws.status === 'error') throw new CliError('ERROR', `Workspace ${ws.id} is in an error state`);
      },
    );

  workspaces
    .command('remove')
    .description("Run the project's teardown, then delete the worktree and the workspace's record")
    .argument('<project>', 'project name')
    .argument('<branch>', 'branch of the workspace')
    .action(async (project: string, branch: string) => {
      ctx.err.progress(`Removing workspace ${project} ${branch}…`);
      const result = (await ctx.client.workspaces.remove.mutate({ project, workspace: branch })) as {
        path: string;
        teardown: { status: string; exitCode: number | null; output: string };
      };
      if (result.teardown.status === 'failed') {
        const exit = result.teardown.exitCode !== null ? ` (exit ${result.teardown.exitCode})` : '';
        ctx.err.warn(`teardown failed${exit}; the worktree was removed anyway`);
        if (result.teardown.output)
          ctx.err.write(result.teardown.output.endsWith('\n') ? result.teardown.output : `${result.teardown.output}\n`);
      }
      ctx.out.print(result, (r) => `Removed ${r.path}\n`);
    });
  return workspaces;
}
