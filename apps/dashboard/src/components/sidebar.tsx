'use client';
import Link from 'next/link';
import { useParams, useRouter } from 'next/navigation';
import { type FormEvent, useEffect, useState } from 'react';
import { ErrorNote } from '@/components/mobile-access-panel';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/field';
import { BranchIcon, ChevronRightIcon, PlusIcon, TrashIcon } from '@/components/ui/icons';
import { Spinner } from '@/components/ui/spinner';
import { StatusDot } from '@/components/ui/status-dot';
import { useAgentStatus } from '@/hooks/use-agent-statuses';
import { invalidate, useMutation, useQuery } from '@/hooks/use-query';
import { api } from '@/lib/api';
import { cn } from '@/lib/cn';
import { getBandClient } from '@/lib/trpc';
import type { Project, Workspace } from '@/lib/workspace-types';

/** Projects with their workspaces (band-docs §2.7). On phones it is the home screen. */
export function Sidebar({ className }: { className?: string }) {
  const projects = useQuery('projects', (c) => api.listProjects(c));
  const workspaces = useQuery('workspaces', (c) => api.listWorkspaces(c));
  const [isAdding, setAdding] = useState(false);
  // Workspace changes (created elsewhere, setup finished, removed) arrive live; git state has no event, so it is
  // polled lightly. After a reconnect the subscription starts again and the list is re-read.
  useEffect(() => {
    const sub = getBandClient().client.workspaces.events.subscribe(undefined, {
      onStarted: () => invalidate('workspaces'),
      onData: (event) => {
        if (event.type !== 'hook') invalidate('workspaces');
      },
    });
    return () => sub.unsubscribe();
  }, []);
  useEffect(() => {
    const timer = setInterval(() => {
      invalidate('workspaces');
      invalidate('changes:');
    }, 10_000);
    return () => clearInterval(timer);
  }, []);

  return (
    <aside className={cn('min-h-0 flex-col bg-bg-elevated', className)} data-testid="sidebar" aria-label="Projects and workspaces">
      <div className="flex items-center justify-between px-4 pb-1 pt-3">
        <h2 className="text-xs font-semibold uppercase tracking-wide text-fg-subtle">Projects</h2>
        <Button variant="ghost" size="icon" aria-label="Add project" onClick={() => setAdding((v) => !v)} data-testid="add-project">
          <PlusIcon />
        </Button>
      </div>
      {isAdding ? <AddProjectForm onDone={() => setAdding(false)} /> : null}
      <div className="min-h-0 flex-1 overflow-y-auto px-2 pb-4">
        {projects.status === 'loading' ? <SidebarSkeleton /> : null}
        {projects.status === 'error' ? (
          <div className="p-2">
            <ErrorNote error={projects.error} testId="sidebar-error" />
          </div>
        ) : null}
        {projects.status === 'success' && projects.data.length === 0 ? (
          <div className="flex flex-col items-start gap-3 rounded-md border border-dashed border-border p-4 text-sm text-fg-muted" data-testid="sidebar-empty">
            <p>No projects yet. Add a git repository to create workspaces for your agents.</p>
            <Button size="sm" variant="primary" onClick={() => setAdding(true)} data-testid="add-project-empty">
              <PlusIcon /> Add project
            </Button>
          </div>
        ) : null}
        {projects.data?.map((project) => (
          <ProjectGroup key={project.id} project={project} workspaces={(workspaces.data ?? []).filter((w) => w.projectId === project.id)} />
        ))}
      </div>
    </aside>
  );
}

function ProjectGroup({ project, workspaces }: { project: Project; workspaces: Workspace[] }) {
  const [isAdding, setAdding] = useState(false);
  return (
    <section className="mt-2" data-testid="project" data-project-id={project.id}>
      <div className="group flex items-center gap-1 px-2">
        <h3 className="min-w-0 flex-1 truncate text-sm font-semibold" title={project.path}>
          {project.name}
        </h3>
        <Button variant="ghost" size="icon" aria-label={`Add workspace to ${project.name}`} onClick={() => setAdding((v) => !v)} data-testid="add-workspace">
          <PlusIcon />
        </Button>
      </div>
      {isAdding ? <AddWorkspaceForm project={project} onDone={() => setAdding(false)} /> : null}
      <ul className="flex flex-col">
        {workspaces.map((workspace) => (
          <WorkspaceRow key={workspace.id} workspace={workspace} />
        ))}
        {workspaces.length === 0 && !isAdding ? <li className="px-3 py-2 text-xs text-fg-subtle">No workspaces</li> : null}
      </ul>
    </section>
  );
}

function WorkspaceRow({ workspace }: { workspace: Workspace }) {
  const params = useParams<{ workspaceId?: string }>();
  const router = useRouter();
  const isActive = params?.workspaceId === workspace.id;
  const remove = useMutation((c, id: string) => api.removeWorkspace(c, id));
  const status = useAgentStatus(workspace.id);
  return (
    <li className="group relative">
      <Link
        href={`/w/${workspace.id}`}
        data-testid="workspace-link"
        data-workspace-id={workspace.id}
        data-branch={workspace.branch}
        aria-current={isActive ? 'page' : undefined}
        className={cn(
          'flex min-h-touch items-center gap-3 rounded-md px-3 py-2 pr-12 text-sm hover:bg-bg-hover md:min-h-10',
          isActive && 'bg-bg-active',
          status === 'needs-attention' && 'font-semibold',
        )}
      >
        <StatusDot status={status} />
        <span className="flex min-w-0 flex-1 flex-col">
          <span className="flex items-center gap-1.5 truncate">
            <BranchIcon width={14} height={14} className="shrink-0 text-fg-subtle" />
            <span className="truncate font-mono text-[13px]">{workspace.branch}</span>
          </span>
          <GitStateLine workspace={workspace} />
        </span>
        <ChevronRightIcon className="shrink-0 text-fg-subtle md:hidden" />
      </Link>
      {/* On a phone the control is always there; on desktop it appears on hover or focus. */}
      <span className="absolute right-1 top-1/2 -translate-y-1/2 md:hidden md:group-focus-within:block md:group-hover:block">
        <Button
          variant="ghost"
          size="icon"
          aria-label={`Remove workspace ${workspace.branch}`}
          data-testid="remove-workspace"
          disabled={remove.pending}
          onClick={async () => {
            if (!window.confirm(`Remove workspace ${workspace.branch}? Its worktree is deleted.`)) return;
            await remove.mutate(workspace.id);
            invalidate('workspaces');
            if (isActive) router.push('/');
          }}
        >
          {remove.pending ? <Spinner /> : <TrashIcon width={16} height={16} />}
        </Button>
      </span>
    </li>
  );
}

function GitStateLine({ workspace }: { workspace: Workspace }) {
  const git = useQuery(workspace.status === 'ready' ? `changes:${workspace.id}:base` : null, (c) => api.changes(c, workspace.id, 'base')).data;
  const parts: string[] = [];
  if (workspace.status !== 'ready') parts.push(workspace.status);
  if (workspace.setupStatus === 'running') parts.push('setting up…');
  if (workspace.setupStatus === 'failed') parts.push('setup failed');
  if (git?.files.length) parts.push(`${git.files.length} changed`);
  if (git?.ahead) parts.push(`↑${git.ahead}`);
  if (git?.behind) parts.push(`↓${git.behind}`);
  if (parts.length === 0) parts.push(git ? `clean · from ${workspace.baseBranch}` : `from ${workspace.baseBranch}`);
  return (
    <span className={cn('truncate text-xs', workspace.status === 'error' || workspace.setupStatus === 'failed' ? 'text-danger' : 'text-fg-subtle')} data-testid="workspace-git-state">
      {parts.join(' · ')}
    </span>
  );
}

function AddProjectForm({ onDone }: { onDone: () => void }) {
  const [path, setPath] = useState('');
  const add = useMutation((c, p: string) => api.registerProject(c, { path: p }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!path.trim()) return;
    if (await add.mutate(path.trim())) {
      invalidate('projects');
      onDone();
    }
  };
  return (
    <form onSubmit={submit} className="mx-2 mb-2 flex flex-col gap-2 rounded-md border border-border bg-bg p-3" data-testid="add-project-form">
      <label htmlFor="project-path" className="text-xs font-medium text-fg-muted">
        Path of a git repository
      </label>
      <Input id="project-path" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/home/me/code/app" autoFocus data-testid="project-path" />
      {add.error ? <ErrorNote error={add.error} /> : null}
      <div className="flex justify-end gap-2">
        <Button size="sm" variant="ghost" onClick={onDone}>
          Cancel
        </Button>
        <Button size="sm" variant="primary" type="submit" disabled={add.pending} data-testid="project-submit">
          {add.pending ? <Spinner /> : null} Add
        </Button>
      </div>
    </form>
  );
}

function AddWorkspaceForm({ project, onDone }: { project: Project; onDone: () => void }) {
  const router = useRouter();
  const [branch, setBranch] = useState('');
  const [base, setBase] = useState('');
  const [prompt, setPrompt] = useState('');
  const create = useMutation((c, input: { project: string; branch: string; base?: string; prompt?: string }) => api.createWorkspace(c, input));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!branch.trim()) return;
    const result = await create.mutate({ project: project.id, branch: branch.trim(), base: base.trim() || undefined, prompt: prompt.trim() || undefined });
    if (result) {
      invalidate('workspaces');
      onDone();
      router.push(`/w/${result.workspace.id}`);
    }
  };
  return (
    <form onSubmit={submit} className="mx-2 mb-2 flex flex-col gap-2 rounded-md border border-border bg-bg p-3" data-testid="add-workspace-form">
      <Input value={branch} onChange={(e) => setBranch(e.target.value)} placeholder="Branch, e.g. fix/login" aria-label="Branch" autoFocus data-testid="workspace-branch" />
      <Input value={base} onChange={(e) => setBase(e.target.value)} placeholder={`Base (default ${project.defaultBranch})`} aria-label="Base branch" data-testid="workspace-base" />
      <textarea
        value={prompt}
        onChange={(e) => setPrompt(e.target.value)}
        placeholder="First prompt (optional)"
        aria-label="First prompt"
        rows={2}
        data-testid="workspace-prompt"
        className="w-full rounded-md border border-border bg-bg-sunken px-3 py-2 text-base text-fg placeholder:text-fg-subtle focus:border-accent focus:outline-none md:text-sm"
      />
      {create.error ? <ErrorNote error={create.error} /> : null}
      <div className="flex justify-end gap-2">
        <Button size="sm" variant="ghost" onClick={onDone}>
          Cancel
        </Button>
        <Button size="sm" variant="primary" type="submit" disabled={create.pending} data-testid="workspace-submit">
          {create.pending ? <Spinner /> : null} Create
        </Button>
      </div>
    </form>
  );
}

function SidebarSkeleton() {
  return (
    <div className="flex flex-col gap-2 p-2" aria-hidden="true" data-testid="sidebar-loading">
      {[0, 1, 2].map((i) => (
        <div key={i} className="h-10 animate-pulse rounded-md bg-bg-hover" />
      ))}
    </div>
  );
}
