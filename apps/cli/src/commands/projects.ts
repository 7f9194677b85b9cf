// `band projects list|add|remove`: the git repositories Band manages.
import { resolve } from 'node:path';
import { Command } from 'commander';
import type { CliContext } from '../context.js';
import { renderTable } from '../output.js';

interface ProjectRow {
  id: string;
  name: string;
  path: string;
  defaultBranch: string;
}

export function projectsCommand(ctx: CliContext): Command {
  const projects = new Command('projects').description('Git repositories registered with Band');

  projects
    .command('list')
    .description('List registered projects')
    .action(async () => {
      const rows = (await ctx.client.projects.list.query()) as ProjectRow[];
      ctx.out.print(rows, (r, style) =>
        renderTable(
          r,
          [
            { header: 'NAME', value: (p) => p.name },
            { header: 'DEFAULT BRANCH', value: (p) => p.defaultBranch },
            { header: 'PATH', value: (p) => p.path },
          ],
          style,
        ),
      );
    });

  projects
    .command('add')
    .description('Register a git repository (default: the current directory)')
    .argument('[path]', 'path of the repository (relative to the current directory)')
    .option('--name <name>', 'project name (default: the directory name)')
    .action(async (path: string | undefined, opts: { name?: string }) => {
      const result = (await ctx.client.projects.register.mutate({
        path: resolve(ctx.cwd, path ?? '.'),
        name: opts.name,
      })) as { project: ProjectRow; created: boolean };
      if (!result.created) ctx.err.progress(`Already registered as ${result.project.name}`);
      ctx.out.print(result, (r) => `${r.project.name}\n`);
    });

  projects
    .command('remove')
    .description(
      'Unregister a project (its repository is left untouched; refused while it has workspaces unless --cascade)',
    )
    .argument('<name>', 'project name')
    .option('--cascade', 'also remove its workspaces (runs each teardown and deletes each worktree)')
    .action(async (name: string, opts: { cascade?: boolean }) => {
      const result = (await ctx.client.projects.remove.mutate({ project: name, cascade: opts.cascade })) as {
        removedWorkspaces: string[];
      };
      ctx.out.print(
        result,
        (r) =>
          `Removed project ${name}` +
          `${r.removedWorkspaces.length ? ` and ${r.removedWorkspaces.length} workspace(s)` : ''}\n`,
      );
    });
  return projects;
}
