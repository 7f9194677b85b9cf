'use client';
import { AppLink } from '@/components/ui/app-link';
import { useParams } from 'next/navigation';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { ErrorNote } from '@/components/ui/error-note';
import { Button, IconButton } from '@/components/ui/button';
import { BranchIcon, ChevronRightIcon, PlusIcon, TrashIcon } from '@/components/ui/icons';
import { isUnread, StatusDot, statusLabel } from '@/components/ui/status-dot';
import { useAgentStatus } from '@/hooks/use-agent-statuses';
import { useWorkspaces } from '@/hooks/use-workspaces';
import { cn } from '@/lib/cn';
import { onDemand } from '@/lib/on-demand';
import { useTRPC, useTRPCClient } from '@/lib/trpc';
import type { AgentStatus, Project, Workspace } from '@/lib/types';

// The forms are not on the first screen: each loads the first time it opens (first-load JS stays small).
const AddProjectForm = onDemand(() => import('@/components/add-project-form').then((m) => m.AddProjectForm));
const AddWorkspaceForm = onDemand(() => import('@/components/add-workspace-form').then((m) => m.AddWorkspaceForm));
const removeConfirms = () => import('@/components/remove-confirms');
const RemoveProjectConfirm = onDemand(() => removeConfirms().then((m) => m.RemoveProjectConfirm));
const RemoveWorkspaceConfirm = onDemand(() => removeConfirms().then((m) => m.RemoveWorkspaceConfirm));

/** Projects with their workspaces (band-docs §2.7). On phones it is the home screen. */
export function Sidebar({ className, isHome = false }: { className?: string; isHome?: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const projects = useQuery(trpc.projects.list.queryOptions());
  const workspaces = useWorkspaces();
  const [isAdding, setAdding] = useState(false);
  // Workspace changes (created elsewhere, setup finished, removed) arrive live and mark the one cached list
  // stale (the workspace view reads the same). After a reconnect the subscription starts again and the list is
  // re-read. Git state has no event: the changes queries refetch on their own (QueryProvider).
  const client = useTRPCClient();
  useEffect(() => {
    const stale = () => void queryClient.invalidateQueries(trpc.workspaces.list.queryFilter());
    const sub = client.workspaces.events.subscribe(undefined, {
      onStarted: stale,
      onData: (event) => {
        if (event.type !== 'hook') stale();
      },
    });
    return () => sub.unsubscribe();
  }, [client, queryClient, trpc]);

  return (
    <nav
      className={cn('min-h-0 flex-col bg-bg-elevated', className)}
      data-testid="sidebar"
      aria-label="Projects and workspaces"
    >
      {/* The phone's home screen is this list: its title names the screen (on a desktop the page beside it does). It
          is in the first HTML, so the first paint is the largest one (LCP), not a status line that changes later. */}
      {isHome ? <h1 className="px-4 pt-4 text-2xl font-semibold tracking-tight md:hidden">Workspaces</h1> : null}
      <div className="flex items-center justify-between px-4 pb-1 pt-3">
        <h2 className="text-xs font-semibold uppercase tracking-wide text-fg-subtle">Projects</h2>
        <IconButton
          label="Add project"
          aria-expanded={isAdding}
          onClick={() => setAdding((v) => !v)}
          data-testid="add-project"
        >
          <PlusIcon />
        </IconButton>
      </div>
      {isAdding ? <AddProjectForm onDone={() => setAdding(false)} /> : null}
      <div className="min-h-0 flex-1 overflow-y-auto px-2 pb-4">
        {projects.status === 'pending' ? <SidebarSkeleton /> : null}
        {projects.status === 'error' ? (
          <div className="p-2">
            <ErrorNote error={projects.error} testId="sidebar-error" />
          </div>
        ) : null}
        {projects.status === 'success' && projects.data.length === 0 ? (
          <div
            className={cn(
              'flex flex-col items-start gap-3 rounded-md border border-dashed border-border p-4 text-sm',
              'text-fg-muted',
            )}
            data-testid="sidebar-empty"
          >
            <p>No projects yet. Add a git repository to create workspaces for your agents.</p>
            <Button size="sm" variant="primary" onClick={() => setAdding(true)} data-testid="add-project-empty">
              <PlusIcon /> Add project
            </Button>
          </div>
        ) : null}
        {projects.data?.map((project) => (
          <ProjectGroup
            key={project.id}
            project={project}
            workspaces={(workspaces.data ?? []).filter((w) => w.projectId === project.id)}
          />
        ))}
      </div>
    </nav>
  );
}

function ProjectGroup({ project, workspaces }: { project: Project; workspaces: Workspace[] }) {
  const [isAdding, setAdding] = useState(false);
  const [isRemoving, setRemoving] = useState(false);
  return (
    <section className="mt-2" data-testid="project" data-project-id={project.id}>
      <div className="group flex items-center gap-1 px-2">
        <h3 className="min-w-0 flex-1 truncate text-sm font-semibold" title={project.path}>
          {project.name}
        </h3>
        <IconButton
          label={`Remove project ${project.name}`}
          onClick={() => setRemoving((v) => !v)}
          data-testid="remove-project"
        >
          <TrashIcon width={16} height={16} />
        </IconButton>
        <IconButton
          label={`New workspace in ${project.name}`}
          aria-expanded={isAdding}
          onClick={() => setAdding((v) => !v)}
          data-testid="add-workspace"
        >
          <PlusIcon />
        </IconButton>
      </div>
      {isRemoving ? (
        <RemoveProjectConfirm project={project} workspaces={workspaces} onDone={() => setRemoving(false)} />
      ) : null}
      {isAdding ? <AddWorkspaceForm project={project} onDone={() => setAdding(false)} /> : null}
      <ul className="flex flex-col">
        {workspaces.map((workspace) => (
          <WorkspaceRow key={workspace.id} workspace={workspace} />
        ))}
        {workspaces.length === 0 && !isAdding ? (
          <li className="px-3 py-2 text-xs text-fg-subtle">No workspaces</li>
        ) : null}
      </ul>
    </section>
  );
}
function WorkspaceRow({ workspace }: { workspace: Workspace }) {
  const params = useParams<{ workspaceId?: string }>();
  const isActive = params?.workspaceId === workspace.id;
  const status = useAgentStatus(workspace.id);
  const [isConfirming, setConfirming] = useState(false);
  return (
    <li>
      <div className="group relative">
        <AppLink
          href={`/w/${workspace.id}`}
          data-testid="workspace-link"
          data-workspace-id={workspace.id}
          data-branch={workspace.branch}
          aria-current={isActive ? 'page' : undefined}
          className={cn(
            'flex min-h-touch items-center gap-3 rounded-md px-3 py-2 pr-12 text-sm hover:bg-bg-hover md:min-h-10',
            isActive && 'bg-bg-active',
            isUnread(status) && 'font-semibold',
          )}
        >
          <StatusDot status={status} />
          <span className="flex min-w-0 flex-1 flex-col">
            <span className="flex items-center gap-1.5 truncate">
              <BranchIcon width={14} height={14} className="shrink-0 text-fg-subtle" />
              <span className="truncate font-mono text-[13px]">{workspace.branch}</span>
            </span>
            <UnreadLine status={status} />
            <GitStateLine workspace={workspace} />
          </span>
          <ChevronRightIcon className="shrink-0 text-fg-subtle md:hidden" />
        </AppLink>
        {/* On a phone the control is always there; on desktop it appears on hover or focus (and stays while
            confirming). */}
        <span
          className={cn(
            'absolute right-1 top-1/2 -translate-y-1/2 md:group-focus-within:block md:group-hover:block',
            isConfirming ? 'md:block' : 'md:hidden',
          )}
        >
          <IconButton
            label={`Remove workspace ${workspace.branch}`}
            aria-expanded={isConfirming}
            data-testid="remove-workspace"
            onClick={() => setConfirming((v) => !v)}
          >
            <TrashIcon width={16} height={16} />
          </IconButton>
        </span>
      </div>
      {isConfirming ? (
        <RemoveWorkspaceConfirm workspace={workspace} isActive={isActive} onDone={() => setConfirming(false)} />
      ) : null}
    </li>
  );
}

/** Says in words what the dot shows when there is something to look at: done, or waiting for the user's answer. */
function UnreadLine({ status }: { status: AgentStatus }) {
  if (!isUnread(status)) return null;
  return (
    <span
      className={cn('text-xs font-medium', status === 'done' ? 'text-accent' : 'text-warn')}
      data-testid="workspace-unread"
      data-unread={status}
    >
      {statusLabel(status)}
    </span>
  );
}

function GitStateLine({ workspace }: { workspace: Workspace }) {
  const trpc = useTRPC();
  const git = useQuery(
    trpc.changes.status.queryOptions(
      { workspace: workspace.id, against: 'base' },
      { enabled: workspace.status === 'ready' },
    ),
  ).data;
  const parts: string[] = [];
  if (workspace.status !== 'ready') parts.push(workspace.status);
  if (workspace.setupStatus === 'running') parts.push('setting up…');
  if (workspace.setupStatus === 'failed') parts.push('setup failed');
  if (git?.files.length) parts.push(`${git.files.length} changed`);
  if (git?.ahead) parts.push(`↑${git.ahead}`);
  if (git?.behind) parts.push(`↓${git.behind}`);
  if (parts.length === 0) parts.push(git ? `clean · from ${workspace.baseBranch}` : `from ${workspace.baseBranch}`);
  return (
    <span
      className={cn(
        'truncate text-xs',
        workspace.status === 'error' || workspace.setupStatus === 'failed' ? 'text-danger' : 'text-fg-subtle',
      )}
      data-testid="workspace-git-state"
    >
      {parts.join(' · ')}
    </span>
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
