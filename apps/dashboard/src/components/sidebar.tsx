'use client';
import Link from 'next/link';
import { useParams, useRouter } from 'next/navigation';
import { type FormEvent, useEffect, useState } from 'react';
import { type AgentChoice, AgentPicker } from '@/components/agent-picker';
import { ErrorNote } from '@/components/ui/error-note';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/field';
import { BranchIcon, ChevronRightIcon, PlusIcon, TrashIcon } from '@/components/ui/icons';
import { Spinner } from '@/components/ui/spinner';
import { isUnread, StatusDot, statusLabel } from '@/components/ui/status-dot';
import { useAgentStatus } from '@/hooks/use-agent-statuses';
import { invalidate, useMutation, useQuery } from '@/hooks/use-query';
import { api } from '@/lib/api';
import { cn } from '@/lib/cn';
import { getBandClient } from '@/lib/trpc';
import type { AgentStatus, Project, Workspace } from '@/lib/workspace-types';

/** Projects with their workspaces (band-docs §2.7). On phones it is the home screen. */
export function Sidebar({ className, isHome = false }: { className?: string; isHome?: boolean }) {
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
    <nav
      className={cn('min-h-0 flex-col bg-bg-elevated', className)}
      data-testid="sidebar"
      aria-label="Projects and workspaces"
    >
      {/* The phone's home screen is this list: it names the screen (on a desktop the page beside it does). */}
      {isHome ? <h1 className="sr-only md:hidden">Workspaces</h1> : null}
      <div className="flex items-center justify-between px-4 pb-1 pt-3">
        <h2 className="text-xs font-semibold uppercase tracking-wide text-fg-subtle">Projects</h2>
        <Button
          variant="ghost"
          size="icon"
          aria-label="Add project"
          title="Add project"
          aria-expanded={isAdding}
          onClick={() => setAdding((v) => !v)}
          data-testid="add-project"
        >
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
          <div
            className="flex flex-col items-start gap-3 rounded-md border border-dashed border-border p-4 text-sm text-fg-muted"
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
        <Button
          variant="ghost"
          size="icon"
          aria-label={`Remove project ${project.name}`}
          title={`Remove project ${project.name}`}
          onClick={() => setRemoving((v) => !v)}
          data-testid="remove-project"
        >
          <TrashIcon width={16} height={16} />
        </Button>
        <Button
          variant="ghost"
          size="icon"
          aria-label={`New workspace in ${project.name}`}
          title={`New workspace in ${project.name}`}
          aria-expanded={isAdding}
          onClick={() => setAdding((v) => !v)}
          data-testid="add-workspace"
        >
          <PlusIcon />
        </Button>
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

/**
 * Removing a project follows the API's rule: refused while it has workspaces, unless the user explicitly asks to
 * remove them too (each teardown runs and each worktree is deleted). The repository itself is never touched.
 */
function RemoveProjectConfirm({
  project,
  workspaces,
  onDone,
}: {
  project: Project;
  workspaces: Workspace[];
  onDone: () => void;
}) {
  const params = useParams<{ workspaceId?: string }>();
  const router = useRouter();
  const [alsoWorkspaces, setAlsoWorkspaces] = useState(false);
  const remove = useMutation((c, cascade: boolean) => api.removeProject(c, { project: project.id, cascade }));
  const count = workspaces.length;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const result = await remove.mutate(count > 0 && alsoWorkspaces);
    if (!result) return;
    invalidate('projects');
    invalidate('workspaces');
    if (params?.workspaceId && result.removedWorkspaces.includes(params.workspaceId)) router.push('/');
    onDone();
  };
  return (
    <form
      onSubmit={submit}
      className="mx-2 mb-2 flex flex-col gap-2 rounded-md border border-danger/40 bg-bg p-3 text-sm"
      data-testid="remove-project-confirm"
      data-workspaces={count}
    >
      <p className="font-medium">Remove {project.name} from Band?</p>
      <p className="text-fg-muted">
        The repository at <span className="break-all font-mono text-xs">{project.path}</span> is not touched.
      </p>
      {count > 0 ? (
        <>
          <p className="text-fg-muted" data-testid="remove-project-blocked">
            It still has {count === 1 ? '1 workspace' : `${count} workspaces`}: a project with workspaces cannot be
            removed on its own.
          </p>
          <label className="flex min-h-touch items-start gap-2 md:min-h-0">
            <input
              type="checkbox"
              className="mt-1 size-4 shrink-0"
              checked={alsoWorkspaces}
              onChange={(e) => setAlsoWorkspaces(e.target.checked)}
              data-testid="remove-project-cascade"
            />
            <span>
              Also remove {count === 1 ? 'its workspace' : `its ${count} workspaces`} (
              {workspaces.map((w) => w.branch).join(', ')}): each worktree is deleted with any uncommitted work in it;
              the branches stay in the repository.
            </span>
          </label>
        </>
      ) : null}
      <RemoveActions
        what="project"
        label={count > 0 ? 'Remove project and workspaces' : 'Remove project'}
        mutation={remove}
        disabled={remove.pending || (count > 0 && !alsoWorkspaces)}
        onCancel={onDone}
      />
    </form>
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
        <Link
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
        </Link>
        {/* On a phone the control is always there; on desktop it appears on hover or focus (and stays while confirming). */}
        <span
          className={cn(
            'absolute right-1 top-1/2 -translate-y-1/2 md:group-focus-within:block md:group-hover:block',
            isConfirming ? 'md:block' : 'md:hidden',
          )}
        >
          <Button
            variant="ghost"
            size="icon"
            aria-label={`Remove workspace ${workspace.branch}`}
            title={`Remove workspace ${workspace.branch}`}
            aria-expanded={isConfirming}
            data-testid="remove-workspace"
            onClick={() => setConfirming((v) => !v)}
          >
            <TrashIcon width={16} height={16} />
          </Button>
        </span>
      </div>
      {isConfirming ? (
        <RemoveWorkspaceConfirm workspace={workspace} isActive={isActive} onDone={() => setConfirming(false)} />
      ) : null}
    </li>
  );
}

/**
 * Removing a workspace deletes its worktree, uncommitted work included; the branch stays in the repository. The
 * confirm says how many uncommitted changes will be lost and, when there are any (or they cannot be counted),
 * asks for the branch name to be typed.
 */
function RemoveWorkspaceConfirm({
  workspace,
  isActive,
  onDone,
}: {
  workspace: Workspace;
  isActive: boolean;
  onDone: () => void;
}) {
  const router = useRouter();
  const changes = useQuery(workspace.status === 'ready' ? `changes:${workspace.id}:uncommitted:remove` : null, (c) =>
    api.changes(c, workspace.id, 'uncommitted'),
  );
  const remove = useMutation((c, id: string) => api.removeWorkspace(c, id));
  const [typed, setTyped] = useState('');
  const isCounting = workspace.status === 'ready' && changes.status === 'loading';
  const count = changes.status === 'success' ? changes.data.files.length : null;
  // Unknown (not ready, or the count failed) is treated like "there may be uncommitted work".
  const mustType = count === null ? !isCounting : count > 0;
  const canRemove = !isCounting && !remove.pending && (!mustType || typed.trim() === workspace.branch);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!canRemove) return;
    if (!(await remove.mutate(workspace.id))) return;
    invalidate('workspaces');
    onDone();
    if (isActive) router.push('/');
  };
  const inputId = `remove-${workspace.id}-branch`;
  return (
    <form
      onSubmit={submit}
      className="mx-2 mb-2 flex flex-col gap-2 rounded-md border border-danger/40 bg-bg p-3 text-sm"
      data-testid="remove-workspace-confirm"
      data-uncommitted={count ?? ''}
      data-state={isCounting ? 'counting' : 'ready'}
    >
      <p className="font-medium">
        Remove workspace <span className="break-all font-mono">{workspace.branch}</span>?
      </p>
      {isCounting ? (
        <p className="flex items-center gap-2 text-fg-muted">
          <Spinner /> Checking for uncommitted changes…
        </p>
      ) : count === null ? (
        <p className="text-danger" data-testid="remove-workspace-loss">
          Its uncommitted changes could not be counted: anything not committed in the worktree is lost.
        </p>
      ) : count > 0 ? (
        <p className="text-danger" data-testid="remove-workspace-loss">
          {count === 1 ? '1 uncommitted change' : `${count} uncommitted changes`} will be lost: the worktree is deleted
          with {count === 1 ? 'it' : 'them'}.
        </p>
      ) : (
        <p className="text-fg-muted" data-testid="remove-workspace-loss">
          No uncommitted changes: nothing is lost.
        </p>
      )}
      <p className="text-fg-muted" data-testid="remove-workspace-branch-fate">
        The branch <span className="break-all font-mono">{workspace.branch}</span> is kept in the repository with its
        commits; only the worktree is deleted.
      </p>
      {mustType ? (
        <div className="flex flex-col gap-1">
          <label htmlFor={inputId} className="text-xs font-medium text-fg-muted">
            Type <span className="font-mono text-fg">{workspace.branch}</span> to confirm
          </label>
          <Input
            id={inputId}
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            autoComplete="off"
            autoCapitalize="off"
            autoCorrect="off"
            spellCheck={false}
            data-testid="remove-workspace-type-branch"
          />
        </div>
      ) : null}
      <RemoveActions
        what="workspace"
        label="Remove workspace"
        mutation={remove}
        disabled={!canRemove}
        onCancel={onDone}
      />
    </form>
  );
}

/** The end of a remove confirmation: the error if it failed, the red submit button, and Cancel. */
function RemoveActions(props: {
  what: 'project' | 'workspace';
  label: string;
  mutation: { pending: boolean; error: { message: string; hint?: string } | null };
  disabled: boolean;
  onCancel: () => void;
}) {
  const { what, label, mutation, disabled, onCancel } = props;
  return (
    <>
      {mutation.error ? <ErrorNote error={mutation.error} /> : null}
      <div className="flex flex-col gap-2">
        <Button
          size="sm"
          variant="danger"
          type="submit"
          className="justify-center"
          disabled={disabled}
          data-testid={`remove-${what}-submit`}
        >
          {mutation.pending ? <Spinner /> : null} {label}
        </Button>
        <Button
          size="sm"
          variant="ghost"
          className="justify-center"
          onClick={onCancel}
          data-testid={`remove-${what}-cancel`}
        >
          Cancel
        </Button>
      </div>
    </>
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
  const git = useQuery(workspace.status === 'ready' ? `changes:${workspace.id}:base` : null, (c) =>
    api.changes(c, workspace.id, 'base'),
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

/**
 * Adding a project without typing a server path from memory (issue 22): the git repositories found under the
 * server's home (most recent first), a folder picker rooted at home, or a path (`~/…` works). On a phone the
 * path field does not autocorrect or capitalise.
 */
export function AddProjectForm({ onDone }: { onDone: () => void }) {
  const [path, setPath] = useState('');
  const [isBrowsing, setBrowsing] = useState(false);
  const found = useQuery('projects:discover', (c) => api.discoverRepositories(c));
  const add = useMutation((c, p: string) => api.registerProject(c, { path: p }));
  const register = async (p: string) => {
    if (await add.mutate(p)) {
      invalidate('projects');
      invalidate('projects:discover');
      onDone();
    }
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (path.trim()) await register(path.trim());
  };
  const candidates = (found.data?.repositories ?? []).filter((r) => !r.registered).slice(0, 8);
  return (
    <form
      onSubmit={submit}
      className="mx-2 mb-2 flex flex-col gap-3 rounded-md border border-border bg-bg p-3"
      data-testid="add-project-form"
    >
      {candidates.length > 0 ? (
        <section className="flex flex-col gap-1" data-testid="project-found">
          <h4 className="text-xs font-medium text-fg-muted">Repositories in your home folder, most recent first</h4>
          <ul className="flex flex-col">
            {candidates.map((repo) => (
              <li key={repo.path}>
                <button
                  type="button"
                  className="flex min-h-touch w-full cursor-pointer items-center gap-2 rounded-md px-2 text-left text-sm hover:bg-bg-hover disabled:opacity-50 md:min-h-8"
                  onClick={() => void register(repo.path)}
                  disabled={add.pending}
                  data-testid="project-found-item"
                  data-path={repo.path}
                  title={`Add ${repo.path}`}
                >
                  <span className="font-medium">{repo.name}</span>
                  <span className="min-w-0 flex-1 truncate font-mono text-xs text-fg-subtle">~/{repo.relative}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : found.status === 'loading' ? (
        <p className="flex items-center gap-2 text-xs text-fg-subtle">
          <Spinner className="size-3" /> Looking for repositories in your home folder…
        </p>
      ) : null}
      {isBrowsing ? (
        <FolderPicker onPick={(p) => void register(p)} onClose={() => setBrowsing(false)} isPending={add.pending} />
      ) : (
        <Button
          size="sm"
          variant="secondary"
          className="self-start"
          onClick={() => setBrowsing(true)}
          data-testid="project-browse"
        >
          Browse folders…
        </Button>
      )}
      <div className="flex flex-col gap-1.5">
        <label htmlFor="project-path" className="text-xs font-medium text-fg-muted">
          Or the path of a git repository on this computer
        </label>
        <Input
          id="project-path"
          value={path}
          onChange={(e) => setPath(e.target.value)}
          placeholder="~/code/app"
          autoCapitalize="off"
          autoCorrect="off"
          autoComplete="off"
          spellCheck={false}
          data-testid="project-path"
        />
      </div>
      {add.error ? <ErrorNote error={add.error} testId="project-add-error" /> : null}
      <div className="flex justify-end gap-2">
        <Button size="sm" variant="ghost" onClick={onDone}>
          Cancel
        </Button>
        <Button
          size="sm"
          variant="primary"
          type="submit"
          disabled={add.pending || !path.trim()}
          data-testid="project-submit"
        >
          {add.pending ? <Spinner /> : null} Add
        </Button>
      </div>
    </form>
  );
}

/** Folders under the server's home, one level at a time (the server refuses anything outside home). */
function FolderPicker({
  onPick,
  onClose,
  isPending,
}: {
  onPick: (absolute: string) => void;
  onClose: () => void;
  isPending: boolean;
}) {
  const [path, setPath] = useState('');
  const listing = useQuery(`projects:browse:${path}`, (c) => api.browseFolders(c, path));
  const data = listing.data;
  return (
    <section
      className="flex flex-col gap-2 rounded-md border border-border p-2"
      data-testid="folder-picker"
      data-path={data?.path ?? ''}
    >
      <div className="flex items-center gap-1">
        <Button
          size="sm"
          variant="ghost"
          aria-label="Up one folder"
          title="Up one folder"
          disabled={data?.parent == null}
          onClick={() => data?.parent != null && setPath(data.parent)}
          data-testid="folder-up"
        >
          ..
        </Button>
        <span className="min-w-0 flex-1 truncate font-mono text-xs text-fg-muted" data-testid="folder-current">
          ~{data?.path ? `/${data.path}` : ''}
        </span>
        <Button size="sm" variant="ghost" onClick={onClose}>
          Close
        </Button>
      </div>
      {listing.status === 'loading' ? <Spinner className="self-center" /> : null}
      {listing.status === 'error' ? <ErrorNote error={listing.error} testId="folder-error" /> : null}
      {data ? (
        <>
          <ul className="flex max-h-72 flex-col overflow-y-auto">
            {data.entries.length === 0 ? <li className="px-2 py-1 text-xs text-fg-subtle">No folders here</li> : null}
            {data.entries.map((entry) => (
              <li key={entry.path}>
                <button
                  type="button"
                  className="flex min-h-touch w-full cursor-pointer items-center gap-2 rounded-md px-2 text-left text-sm hover:bg-bg-hover md:min-h-8"
                  onClick={() => setPath(entry.path)}
                  data-testid="folder-entry"
                  data-path={entry.path}
                >
                  <span className="min-w-0 flex-1 truncate">{entry.name}</span>
                  {entry.isRepository ? (
                    <span className="rounded bg-accent-soft px-1.5 text-xs text-accent">git</span>
                  ) : null}
                </button>
              </li>
            ))}
          </ul>
          <Button
            size="sm"
            variant="primary"
            disabled={!data.isRepository || isPending}
            onClick={() => onPick(data.absolute)}
            data-testid="folder-use"
          >
            {data.isRepository
              ? `Add ${data.path ? data.path.split('/').pop() : 'home'}`
              : 'Open a git repository (marked git) to add it'}
          </Button>
        </>
      ) : null}
    </section>
  );
}

function AddWorkspaceForm({ project, onDone }: { project: Project; onDone: () => void }) {
  const router = useRouter();
  const [branch, setBranch] = useState('');
  const [base, setBase] = useState('');
  const [prompt, setPrompt] = useState('');
  const [choice, setChoice] = useState<AgentChoice | null>(null);
  const create = useMutation(
    async (
      c,
      input: {
        project: string;
        branch: string;
        base?: string;
        prompt?: string;
        pick?: { agent?: string; model?: string; mode?: string };
      },
    ) => {
      const { pick, ...rest } = input;
      // With a prompt the pick travels with it (the first chat); without one, the workspace's first chat is created now.
      const result = await api.createWorkspace(c, { ...rest, ...(rest.prompt ? pick : {}) });
      if (result.created && !rest.prompt && pick) await api.createChat(c, result.workspace.id, pick);
      return result;
    },
  );
  const send = useMutation((c, input: { workspaceId: string; message: string }) => api.send(c, input));
  // Creation is idempotent: a branch that already has a workspace opens it, and the server ignores the prompt.
  // The user is told so, and decides whether the prompt goes there.
  const [existing, setExisting] = useState<{ workspace: Workspace; prompt: string } | null>(null);
  const open = (workspaceId: string) => {
    invalidate('workspaces');
    onDone();
    router.push(`/w/${workspaceId}`);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!branch.trim()) return;
    const firstPrompt = prompt.trim();
    const pick = choice
      ? { agent: choice.agent, model: choice.model.trim() || undefined, mode: choice.mode }
      : undefined;
    const result = await create.mutate({
      project: project.id,
      branch: branch.trim(),
      base: base.trim() || undefined,
      prompt: firstPrompt || undefined,
      pick,
    });
    if (!result) return;
    if (!result.created && firstPrompt) {
      setExisting({ workspace: result.workspace, prompt: firstPrompt });
      return;
    }
    open(result.workspace.id);
  };
  const sendThere = async () => {
    if (!existing) return;
    if (await send.mutate({ workspaceId: existing.workspace.id, message: existing.prompt }))
      open(existing.workspace.id);
  };
  if (existing) {
    return (
      <div
        role="alert"
        className="mx-2 mb-2 flex flex-col gap-2 rounded-md border border-warn/40 bg-bg p-3 text-sm"
        data-testid="workspace-exists"
        data-workspace-id={existing.workspace.id}
      >
        <p className="font-medium">
          Branch <span className="break-all font-mono">{existing.workspace.branch}</span> already has a workspace.
        </p>
        <p className="text-fg-muted">
          Nothing new was created and your prompt was not sent. Send it to that workspace's chat?
        </p>
        <p className="line-clamp-3 whitespace-pre-wrap break-words rounded-md bg-bg-sunken px-2 py-1 text-fg-muted">
          {existing.prompt}
        </p>
        {send.error ? <ErrorNote error={send.error} /> : null}
        <div className="flex flex-col gap-2">
          <Button
            size="sm"
            variant="primary"
            className="justify-center"
            disabled={send.pending}
            onClick={() => void sendThere()}
            data-testid="workspace-exists-send"
          >
            {send.pending ? <Spinner /> : null} Send the prompt there
          </Button>
          <Button
            size="sm"
            variant="secondary"
            className="justify-center"
            onClick={() => open(existing.workspace.id)}
            data-testid="workspace-exists-open"
          >
            Open without sending
          </Button>
          <Button
            size="sm"
            variant="ghost"
            className="justify-center"
            onClick={() => setExisting(null)}
            data-testid="workspace-exists-back"
          >
            Back to the form
          </Button>
        </div>
      </div>
    );
  }
  return (
    <form
      onSubmit={submit}
      className="mx-2 mb-2 flex flex-col gap-2 rounded-md border border-border bg-bg p-3"
      data-testid="add-workspace-form"
    >
      <p className="text-xs text-fg-muted">
        A workspace is a branch in its own worktree, where an agent works without touching your checkout.
      </p>
      <label htmlFor={`ws-branch-${project.id}`} className="text-xs font-medium text-fg-muted">
        Branch
      </label>
      <Input
        id={`ws-branch-${project.id}`}
        value={branch}
        onChange={(e) => setBranch(e.target.value)}
        placeholder="fix/login"
        autoCapitalize="off"
        autoCorrect="off"
        spellCheck={false}
        autoFocus
        data-testid="workspace-branch"
      />
      <label htmlFor={`ws-base-${project.id}`} className="text-xs font-medium text-fg-muted">
        Base branch <span className="font-normal text-fg-subtle">(default {project.defaultBranch})</span>
      </label>
      <Input
        id={`ws-base-${project.id}`}
        value={base}
        onChange={(e) => setBase(e.target.value)}
        placeholder={project.defaultBranch}
        autoCapitalize="off"
        autoCorrect="off"
        spellCheck={false}
        data-testid="workspace-base"
      />
      <label htmlFor={`ws-prompt-${project.id}`} className="text-xs font-medium text-fg-muted">
        First prompt <span className="font-normal text-fg-subtle">(optional)</span>
      </label>
      <textarea
        id={`ws-prompt-${project.id}`}
        value={prompt}
        onChange={(e) => setPrompt(e.target.value)}
        placeholder="What should the agent do?"
        rows={2}
        data-testid="workspace-prompt"
        className="w-full rounded-md border border-border bg-bg-sunken px-3 py-2 text-base text-fg placeholder:text-fg-subtle focus:border-accent focus:outline-none md:text-sm"
      />
      <AgentPicker idPrefix={`ws-${project.id}`} value={choice} onChange={setChoice} />
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
