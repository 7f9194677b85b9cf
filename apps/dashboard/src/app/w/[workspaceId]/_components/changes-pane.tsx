'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { ErrorNote } from '@/components/ui/error-note';
import { FormActions } from '@/components/ui/form-actions';
import { Badge, type BadgeTone } from '@/components/ui/badge';
import { Button, IconButton } from '@/components/ui/button';
import { Input, Select } from '@/components/ui/field';
import { ChevronRightIcon, RefreshIcon, UndoIcon } from '@/components/ui/icons';
import { Spinner } from '@/components/ui/spinner';
import { cn } from '@/lib/cn';
import { parseUnifiedDiff } from '@/lib/diff';
import { languageOf } from '@/lib/highlight';
import { invalidateWorkspaceDisk } from '@/lib/queries';
import { useTRPC } from '@/lib/trpc';
import type { ChangedFile, CompareTarget, Workspace } from '@/lib/types';
import { SplitRows, UnifiedRows } from './diff-rows';

const KIND: Record<string, { tone: BadgeTone; label: string }> = {
  M: { tone: 'warn', label: 'Modified' },
  A: { tone: 'ok', label: 'Added' },
  D: { tone: 'danger', label: 'Deleted' },
  R: { tone: 'info', label: 'Renamed' },
  U: { tone: 'accent', label: 'Untracked' },
};

/** Rows of one diff rendered before "Show all": keeps a huge diff from freezing a phone. */
const MAX_ROWS = 1_500;

export function ChangesPane({ workspace }: { workspace: Workspace }) {
  const [target, setTarget] = useState<CompareTarget>('base');
  const [view, setView] = useState<'unified' | 'split'>('unified');
  const [open, setOpen] = useState<Set<string>>(new Set());
  const [isCommitting, setCommitting] = useState(false);
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const files = useQuery(trpc.changes.status.queryOptions({ workspace: workspace.id, against: target }));
  const list = files.data?.files ?? [];
  // Commit takes what is uncommitted, whatever the comparison shown (vs base also lists committed work).
  const uncommitted = useQuery(trpc.changes.status.queryOptions({ workspace: workspace.id, against: 'uncommitted' }));
  const uncommittedCount = uncommitted.data?.files.length ?? 0;
  const [committed, setCommitted] = useState<{ commit: string; summary: string; files: number } | null>(null);

  const toggle = (path: string) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (next.has(path)) next.delete(path);
      else next.add(path);
      return next;
    });

  return (
    <div className="flex min-h-0 flex-1 flex-col" data-testid="changes-pane">
      <div className="flex flex-wrap items-center gap-2 border-b border-border px-3 py-2">
        <Select
          aria-label="Compare with"
          className="w-auto"
          value={target}
          onChange={(e) => setTarget(e.target.value as CompareTarget)}
          data-testid="changes-target"
        >
          <option value="base">vs {workspace.baseBranch}</option>
          <option value="uncommitted">Uncommitted</option>
        </Select>
        <div
          className="hidden rounded-md border border-border p-0.5 md:inline-flex"
          role="group"
          aria-label="Diff view"
        >
          {(['unified', 'split'] as const).map((v) => (
            <button
              key={v}
              type="button"
              aria-pressed={view === v}
              onClick={() => setView(v)}
              data-testid={`changes-view-${v}`}
              className={cn(
                'cursor-pointer rounded px-2.5 py-1 text-xs font-medium capitalize',
                view === v ? 'bg-bg-active text-fg' : 'text-fg-muted hover:text-fg',
              )}
            >
              {v}
            </button>
          ))}
        </div>
        {files.data && (files.data.ahead > 0 || files.data.behind > 0) ? (
          <span
            className="whitespace-nowrap text-xs text-fg-subtle"
            title={
              `This branch has ${files.data.ahead} ${files.data.ahead === 1 ? 'commit' : 'commits'} that ` +
              `${workspace.baseBranch} does not, and is missing ${files.data.behind} of ${workspace.baseBranch}'s`
            }
            data-testid="changes-ahead-behind"
          >
            {files.data.ahead} ahead, {files.data.behind} behind {workspace.baseBranch}
          </span>
        ) : null}
        <div className="flex-1" />
        <IconButton
          label="Reload"
          onClick={() => invalidateWorkspaceDisk(queryClient, trpc, workspace.id, ['changes'])}
          data-testid="changes-reload"
        >
          <RefreshIcon width={18} height={18} />
        </IconButton>
        <Button
          size="sm"
          variant="primary"
          className="whitespace-nowrap"
          onClick={() => {
            setCommitted(null);
            setCommitting(true);
          }}
          disabled={uncommittedCount === 0}
          title={uncommittedCount === 0 ? 'Nothing uncommitted to commit' : undefined}
          data-testid="changes-commit"
        >
          Commit
        </Button>
      </div>
      {committed ? (
        <p
          className="flex items-center gap-2 border-b border-border bg-ok-soft px-3 py-2 text-sm text-ok"
          role="status"
          data-testid="commit-success"
        >
          Committed {committed.files} {committed.files === 1 ? 'file' : 'files'} as{' '}
          <code className="font-mono">{committed.commit.slice(0, 7)}</code> {committed.summary}
        </p>
      ) : null}
      {isCommitting ? (
        <CommitForm
          workspace={workspace}
          count={uncommittedCount}
          onDone={(result) => {
            setCommitting(false);
            if (result) setCommitted(result);
          }}
        />
      ) : null}
      <div className="min-h-0 flex-1 overflow-y-auto" data-testid="changes-list">
        {files.status === 'pending' ? <ChangesPaneSkeleton /> : null}
        {files.status === 'error' ? (
          <div className="p-3">
            <ErrorNote error={files.error} testId="changes-error" />
          </div>
        ) : null}
        {files.status === 'success' && list.length === 0 ? (
          <div className="flex flex-col items-center gap-1 px-6 py-16 text-center" data-testid="changes-empty">
            <p className="font-medium">No changes</p>
            <p className="text-sm text-fg-muted">
              {target === 'base' ? `This branch matches ${workspace.baseBranch}.` : 'Nothing uncommitted.'}
            </p>
          </div>
        ) : null}
        {list.map((file) => (
          <FileChange
            key={file.path}
            workspace={workspace}
            file={file}
            target={target}
            view={view}
            isOpen={open.has(file.path)}
            onToggle={() => toggle(file.path)}
          />
        ))}
      </div>
    </div>
  );
}

function FileChange({
  workspace,
  file,
  target,
  view,
  isOpen,
  onToggle,
}: {
  workspace: Workspace;
  file: ChangedFile;
  target: CompareTarget;
  view: 'unified' | 'split';
  isOpen: boolean;
  onToggle: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const revert = useMutation(
    trpc.changes.revert.mutationOptions({
      onSettled: () => invalidateWorkspaceDisk(queryClient, trpc, workspace.id, ['changes']),
    }),
  );
  const kind = KIND[file.status] ?? { tone: 'neutral' as const, label: file.status };
  return (
    <section
      className="border-b border-border"
      data-testid="change-file"
      data-path={file.path}
      data-status={file.status}
    >
      <div
        className={cn(
          'sticky top-0 z-[1] flex items-center gap-2 bg-bg-elevated pr-2',
          isOpen && 'border-b border-border',
        )}
      >
        <button
          type="button"
          onClick={onToggle}
          aria-expanded={isOpen}
          data-testid="change-file-toggle"
          className="flex min-h-touch min-w-0 flex-1 cursor-pointer items-center gap-2 px-3 text-left md:min-h-10"
        >
          <ChevronRightIcon
            width={16}
            height={16}
            className={cn('shrink-0 text-fg-subtle transition-transform', isOpen && 'rotate-90')}
          />
          <Badge tone={kind.tone} title={kind.label} data-testid="change-badge">
            {file.status}
          </Badge>
          <span className="min-w-0 flex-1 truncate font-mono text-[13px]" title={file.path}>
            {file.oldPath ? `${file.oldPath} → ` : ''}
            {file.path}
          </span>
          {file.conflicted ? <Badge tone="danger">conflict</Badge> : null}
          {file.additions !== null || file.deletions !== null ? (
            <span className="shrink-0 font-mono text-xs">
              <span className="text-ok">+{file.additions ?? 0}</span>{' '}
              <span className="text-danger">−{file.deletions ?? 0}</span>
            </span>
          ) : null}
        </button>
        <IconButton
          label={`Revert ${file.path}`}
          data-testid="change-revert"
          disabled={revert.isPending}
          onClick={() => {
            if (!window.confirm(`Revert ${file.path}? Its changes are discarded.`)) return;
            revert.mutate({ workspace: workspace.id, path: file.path, against: target });
          }}
        >
          {revert.isPending ? <Spinner /> : <UndoIcon width={16} height={16} />}
        </IconButton>
      </div>
      {revert.error ? (
        <div className="p-2">
          <ErrorNote error={revert.error} />
        </div>
      ) : null}
      {isOpen ? <FileDiffView workspace={workspace} path={file.path} target={target} view={view} /> : null}
    </section>
  );
}

function FileDiffView({
  workspace,
  path,
  target,
  view,
}: {
  workspace: Workspace;
  path: string;
  target: CompareTarget;
  view: 'unified' | 'split';
}) {
  const trpc = useTRPC();
  const diff = useQuery(trpc.changes.diff.queryOptions({ workspace: workspace.id, path, against: target }));
  const [showAll, setShowAll] = useState(false);
  const rows = useMemo(() => (diff.data?.patch ? parseUnifiedDiff(diff.data.patch) : []), [diff.data]);
  const lang = languageOf(path);
  if (diff.status === 'pending')
    return (
      <div className="p-3">
        <Spinner />
      </div>
    );
  if (diff.status === 'error')
    return (
      <div className="p-3">
        <ErrorNote error={diff.error} />
      </div>
    );
  if (diff.data?.binary) return <p className="px-4 py-3 text-sm text-fg-muted">Binary file, not shown.</p>;
  if (diff.data?.tooLarge)
    return <p className="px-4 py-3 text-sm text-fg-muted">This file is too large to diff here.</p>;
  if (rows.length === 0) return <p className="px-4 py-3 text-sm text-fg-muted">No textual changes.</p>;
  const shown = showAll ? rows : rows.slice(0, MAX_ROWS);
  return (
    <div className="overflow-x-auto bg-bg-sunken font-mono text-[12.5px] leading-5" data-testid="diff" data-view={view}>
      {view === 'unified' ? <UnifiedRows rows={shown} lang={lang} /> : <SplitRows rows={shown} lang={lang} />}
      {rows.length > shown.length ? (
        <Button size="sm" variant="ghost" className="m-2" onClick={() => setShowAll(true)} data-testid="diff-show-all">
          Show {rows.length - shown.length} more lines
        </Button>
      ) : null}
      {diff.data?.truncated ? <p className="px-4 py-2 text-xs text-fg-subtle">Diff truncated by the server.</p> : null}
    </div>
  );
}

function CommitForm({
  workspace,
  count,
  onDone,
}: {
  workspace: Workspace;
  count: number;
  onDone: (result?: { commit: string; summary: string; files: number }) => void;
}) {
  const [message, setMessage] = useState('');
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const commit = useMutation(trpc.changes.commit.mutationOptions());
  return (
    <form
      className="flex flex-col gap-2 border-b border-border bg-bg-elevated p-3"
      data-testid="commit-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!message.trim()) return;
        commit.mutate(
          { workspace: workspace.id, message: message.trim() },
          {
            onSuccess: (result) => {
              invalidateWorkspaceDisk(queryClient, trpc, workspace.id, ['changes']);
              void queryClient.invalidateQueries(trpc.workspaces.list.queryFilter());
              onDone(result);
            },
          },
        );
      }}
    >
      <p className="text-sm text-fg-muted">
        Stage and commit {count === 1 ? 'the 1 changed file' : `all ${count} changed files`} on {workspace.branch}.
      </p>
      <Input
        value={message}
        onChange={(e) => setMessage(e.target.value)}
        placeholder="Commit message"
        aria-label="Commit message"
        autoFocus
        data-testid="commit-message"
      />
      {commit.error ? <ErrorNote error={commit.error} /> : null}
      <FormActions
        onCancel={() => onDone()}
        pending={commit.isPending}
        disabled={!message.trim()}
        label="Commit"
        testId="commit-submit"
      />
    </form>
  );
}

export function ChangesPaneSkeleton() {
  return (
    <div className="flex flex-col gap-2 p-3" aria-hidden="true" data-testid="changes-loading">
      {[0, 1, 2, 3].map((i) => (
        <div key={i} className="h-9 animate-pulse rounded-md bg-bg-hover" />
      ))}
    </div>
  );
}
