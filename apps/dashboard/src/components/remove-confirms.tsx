'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useParams, useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { ErrorNote } from '@/components/ui/error-note';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/field';
import { Spinner } from '@/components/ui/spinner';
import { useTRPC } from '@/lib/trpc';
import type { Project, Workspace } from '@/lib/types';

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
