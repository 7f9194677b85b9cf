'use client';
import { cn } from '@/lib/cn';
// The sidebar's forms, loaded the first time one opens: add a project (found repositories, folder picker, path),
// new workspace, and the remove confirmations.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useParams, useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { type AgentChoice, AgentPicker } from '@/components/agent-picker';
import { ErrorNote } from '@/components/ui/error-note';
import { FormActions } from '@/components/ui/form-actions';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/field';
import { Spinner } from '@/components/ui/spinner';
import { useTRPC, useTRPCClient } from '@/lib/trpc';
import type { Project, Workspace } from '@/lib/types';

/** A row of a list to pick from (a found repository, a folder): the whole row is the button. */
const LIST_ROW =
  'flex min-h-touch w-full cursor-pointer items-center gap-2 rounded-md px-2 text-left text-sm hover:bg-bg-hover ' +
  'disabled:opacity-50 md:min-h-8';

/**
 * Removing a project follows the API's rule: refused while it has workspaces, unless the user explicitly asks to
 * remove them too (each teardown runs and each worktree is deleted). The repository itself is never touched.
 */
export function RemoveProjectConfirm({
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
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(trpc.projects.remove.mutationOptions());
  const count = workspaces.length;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    remove.mutate(
      { project: project.id, cascade: count > 0 && alsoWorkspaces },
      {
        onSuccess: (result) => {
          void queryClient.invalidateQueries(trpc.projects.list.queryFilter());
          void queryClient.invalidateQueries(trpc.workspaces.list.queryFilter());
          if (params?.workspaceId && result.removedWorkspaces.includes(params.workspaceId)) router.push('/');
          onDone();
        },
      },
    );
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
        disabled={remove.isPending || (count > 0 && !alsoWorkspaces)}
        onCancel={onDone}
      />
    </form>
  );
}

/**
 * Removing a workspace deletes its worktree, uncommitted work included; the branch stays in the repository. The
 * confirm says how many uncommitted changes will be lost and, when there are any (or they cannot be counted),
 * asks for the branch name to be typed.
 */
export function RemoveWorkspaceConfirm({
  workspace,
  isActive,
  onDone,
}: {
  workspace: Workspace;
  isActive: boolean;
  onDone: () => void;
}) {
  const router = useRouter();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const isReady = workspace.status === 'ready';
  const changes = useQuery(
    trpc.changes.status.queryOptions(
      { workspace: workspace.id, against: 'uncommitted' },
      { enabled: isReady, refetchOnMount: 'always' },
    ),
  );
  const remove = useMutation(trpc.workspaces.remove.mutationOptions());
  const [typed, setTyped] = useState('');
  // The count is one read after the confirm opened, never an older cached one (the Changes pane shares this
  // query): a stale "no changes" would skip typing the branch name.
  const [openedAt] = useState(Date.now);
  const isCounting = isReady && changes.dataUpdatedAt < openedAt && changes.errorUpdatedAt < openedAt;
  const count = changes.status === 'success' && changes.dataUpdatedAt >= openedAt ? changes.data.files.length : null;
  // Unknown (not ready, or the count failed) is treated like "there may be uncommitted work".
  const mustType = count === null ? !isCounting : count > 0;
  const canRemove = !isCounting && !remove.isPending && (!mustType || typed.trim() === workspace.branch);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!canRemove) return;
    remove.mutate(
      { workspace: workspace.id },
      {
        onSuccess: () => {
          void queryClient.invalidateQueries(trpc.workspaces.list.queryFilter());
          onDone();
          if (isActive) router.push('/');
        },
      },
    );
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
            verbatim
            id={inputId}
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            autoComplete="off"
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
  mutation: { isPending: boolean; error: { message: string } | null };
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
          {mutation.isPending ? <Spinner /> : null} {label}
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

/**
 * Adding a project without typing a server path from memory (issue 22): the git repositories found under the
 * server's home (most recent first), a folder picker rooted at home, or a path (`~/…` works). On a phone the
 * path field does not autocorrect or capitalise.
 */
export function AddProjectForm({ onDone }: { onDone: () => void }) {
  const [path, setPath] = useState('');
  const [isBrowsing, setBrowsing] = useState(false);
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const found = useQuery(trpc.projects.discover.queryOptions());
  const add = useMutation(
    trpc.projects.register.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries(trpc.projects.list.queryFilter());
        void queryClient.invalidateQueries(trpc.projects.discover.queryFilter());
        onDone();
      },
    }),
  );
  const register = (p: string) => add.mutate({ path: p });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (path.trim()) register(path.trim());
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
                  className={LIST_ROW}
                  onClick={() => register(repo.path)}
                  disabled={add.isPending}
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
      ) : found.status === 'pending' ? (
        <p className="flex items-center gap-2 text-xs text-fg-subtle">
          <Spinner size="sm" /> Looking for repositories in your home folder…
        </p>
      ) : null}
      {isBrowsing ? (
        <FolderPicker onPick={register} onClose={() => setBrowsing(false)} isPending={add.isPending} />
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
          verbatim
          id="project-path"
          value={path}
          onChange={(e) => setPath(e.target.value)}
          placeholder="~/code/app"
          autoComplete="off"
          data-testid="project-path"
        />
      </div>
      {add.error ? <ErrorNote error={add.error} testId="project-add-error" /> : null}
      <FormActions
        onCancel={onDone}
        pending={add.isPending}
        disabled={!path.trim()}
        label="Add"
        testId="project-submit"
      />
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
  const trpc = useTRPC();
  const listing = useQuery(trpc.projects.browse.queryOptions({ path }));
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
      {listing.status === 'pending' ? <Spinner className="self-center" /> : null}
      {listing.status === 'error' ? <ErrorNote error={listing.error} testId="folder-error" /> : null}
      {data ? (
        <>
          <ul className="flex max-h-72 flex-col overflow-y-auto">
            {data.entries.length === 0 ? <li className="px-2 py-1 text-xs text-fg-subtle">No folders here</li> : null}
            {data.entries.map((entry) => (
              <li key={entry.path}>
                <button
                  type="button"
                  className={LIST_ROW}
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

export function AddWorkspaceForm({ project, onDone }: { project: Project; onDone: () => void }) {
  const router = useRouter();
  const [branch, setBranch] = useState('');
  const [base, setBase] = useState('');
  const [prompt, setPrompt] = useState('');
  const [choice, setChoice] = useState<AgentChoice | null>(null);
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: async (input: {
      project: string;
      branch: string;
      base?: string;
      prompt?: string;
      pick?: { agent?: string; model?: string; mode?: string };
    }) => {
      const { pick, ...rest } = input;
      // With a prompt the pick travels with it (the first chat); without one, the workspace's first chat is
      // created now (a new chat is the workspace's active one).
      const result = await client.workspaces.create.mutate({ ...rest, ...(rest.prompt ? pick : {}) });
      if (result.created && !rest.prompt && pick)
        await client.chats.create.mutate({ workspaceId: result.workspace.id, mode: 'edit', ...pick });
      return result;
    },
  });
  const send = useMutation(trpc.chats.send.mutationOptions());
  // Creation is idempotent: a branch that already has a workspace opens it, and the server ignores the prompt.
  // The user is told so, and decides whether the prompt goes there.
  const [existing, setExisting] = useState<{ workspace: Workspace; prompt: string } | null>(null);
  const open = (workspaceId: string) => {
    void queryClient.invalidateQueries(trpc.workspaces.list.queryFilter());
    onDone();
    router.push(`/w/${workspaceId}`);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!branch.trim()) return;
    const firstPrompt = prompt.trim();
    const pick = choice
      ? { agent: choice.agent, model: choice.model.trim() || undefined, mode: choice.mode }
      : undefined;
    const input = {
      project: project.id,
      branch: branch.trim(),
      base: base.trim() || undefined,
      prompt: firstPrompt || undefined,
      pick,
    };
    create.mutate(input, {
      onSuccess: (result) => {
        if (!result.created && firstPrompt) setExisting({ workspace: result.workspace, prompt: firstPrompt });
        else open(result.workspace.id);
      },
    });
  };
  const sendThere = () => {
    if (!existing) return;
    send.mutate(
      { workspaceId: existing.workspace.id, message: existing.prompt },
      { onSuccess: () => open(existing.workspace.id) },
    );
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
            disabled={send.isPending}
            onClick={() => void sendThere()}
            data-testid="workspace-exists-send"
          >
            {send.isPending ? <Spinner /> : null} Send the prompt there
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
        verbatim
        id={`ws-branch-${project.id}`}
        value={branch}
        onChange={(e) => setBranch(e.target.value)}
        placeholder="fix/login"
        autoFocus
        data-testid="workspace-branch"
      />
      <label htmlFor={`ws-base-${project.id}`} className="text-xs font-medium text-fg-muted">
        Base branch <span className="font-normal text-fg-subtle">(default {project.defaultBranch})</span>
      </label>
      <Input
        verbatim
        id={`ws-base-${project.id}`}
        value={base}
        onChange={(e) => setBase(e.target.value)}
        placeholder={project.defaultBranch}
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
        className={cn(
          'w-full rounded-md border border-border bg-bg-sunken px-3 py-2 text-base text-fg',
          'placeholder:text-fg-subtle focus:border-accent focus:outline-none md:text-sm',
        )}
      />
      <AgentPicker idPrefix={`ws-${project.id}`} value={choice} onChange={setChoice} />
      {create.error ? <ErrorNote error={create.error} /> : null}
      <FormActions onCancel={onDone} pending={create.isPending} label="Create" testId="workspace-submit" />
    </form>
  );
}
