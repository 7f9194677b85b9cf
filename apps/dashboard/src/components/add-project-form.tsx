'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ErrorNote } from '@/components/ui/error-note';
import { FormActions } from '@/components/ui/form-actions';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/field';
import { Spinner } from '@/components/ui/spinner';
import { useTRPC } from '@/lib/trpc';

/** A row of a list to pick from (a found repository, a folder): the whole row is the button. */
const LIST_ROW =
  'flex min-h-touch w-full cursor-pointer items-center gap-2 rounded-md px-2 text-left text-sm hover:bg-bg-hover ' +
  'disabled:opacity-50 md:min-h-8';

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
