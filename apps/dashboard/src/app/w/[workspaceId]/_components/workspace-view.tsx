'use client';
import dynamic from 'next/dynamic';
import { AppLink } from '@/components/ui/app-link';
import { useSearchParams } from 'next/navigation';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { ErrorNote } from '@/components/ui/error-note';
import { PaneErrorBoundary } from '@/components/ui/pane-error';
import { BackIcon, BranchIcon, ChatIcon, DiffIcon, FilesIcon, TerminalIcon } from '@/components/ui/icons';
import { Spinner } from '@/components/ui/spinner';
import { isUnread, StatusDot, statusLabel } from '@/components/ui/status-dot';
import { useAgentStatus } from '@/hooks/use-agent-statuses';
import { useWorkspaces } from '@/hooks/use-workspaces';
import { cn } from '@/lib/cn';
import { invalidateWorkspaceDisk, resetWorkspaceDisk } from '@/lib/queries';
import { useTRPC } from '@/lib/trpc';
import type { ChatPageData, Workspace } from '@/lib/types';
import { ChatPane } from './chat-pane';

// Changes (diff parser, revert and commit) is not on a phone's first screen (Chat is): it loads after the page,
// and on a desktop it shows as soon as it has.
const ChangesPane = dynamic(() => import('./changes-pane').then((m) => m.ChangesPane), {
  ssr: false,
  loading: () => <Spinner className="m-4" />,
});
// xterm is heavy: it loads the first time the Terminal pane is opened (desktop tab or phone tab), not before.
// Files (tree, viewer, highlighter, LSP client) loads the first time the Files pane is shown, then stays mounted.
const FilesPane = dynamic(() => import('./files-pane').then((m) => m.FilesPane), {
  ssr: false,
  loading: () => <Spinner className="m-4" />,
});
const TerminalPane = dynamic(() => import('./terminal-pane').then((m) => m.TerminalPane), {
  ssr: false,
  loading: () => <Spinner className="m-4" />,
});

/** The phone's tabs, in order; the desktop shows Chat beside the others, which are its side tabs. */
const PANES = [
  ['chat', 'Chat', ChatIcon],
  ['changes', 'Changes', DiffIcon],
  ['files', 'Files', FilesIcon],
  ['terminal', 'Terminal', TerminalIcon],
] as const;
const SIDE_PANES = PANES.slice(1) as readonly (typeof PANES)[1 | 2 | 3][];
type PhonePane = (typeof PANES)[number][0];
type SidePane = Exclude<PhonePane, 'chat'>;
type Pane = PhonePane;
const isPane = (value: string): value is Pane => PANES.some(([id]) => id === value);

/**
 * Where the user is inside a workspace lives in the URL (`?pane=files&file=src/app.ts`), so Back/Forward,
 * reload and a shared link land on the same pane and file. Every pane or file change is a history entry.
 */
function useWorkspaceLocation() {
  const params = useSearchParams();
  const raw = params.get('pane');
  const pane = raw && isPane(raw) ? raw : null;
  const file = params.get('file') || null;
  const navigate = (next: { pane?: Pane; file?: string | null }) => {
    const url = new URL(window.location.href);
    if (next.pane !== undefined) {
      if (next.pane === 'chat') url.searchParams.delete('pane');
      else url.searchParams.set('pane', next.pane);
    }
    if (next.file !== undefined) {
      if (next.file) url.searchParams.set('file', next.file);
      else url.searchParams.delete('file');
    }
    if (url.href !== window.location.href) window.history.pushState(null, '', `${url.pathname}${url.search}`);
  };
  return { pane, file, navigate };
}

/**
 * Desktop: Chat on the left, Changes / Files / Terminal as tabs on the right.
 * Phone: one pane at a time with a bottom tab bar and a back button to the workspace list (DESIGN §8).
 * Both arrangements are the same elements shown or hidden by CSS, so nothing remounts on rotate.
 */
export function WorkspaceView({ workspaceId, initialChat }: { workspaceId: string; initialChat?: ChatPageData }) {
  // The sidebar's list (same query, one fetch).
  const workspaces = useWorkspaces();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const workspace = workspaces.data?.find((w) => w.id === workspaceId);
  const location = useWorkspaceLocation();
  const openPath = location.file;
  // A phone shows one pane; a desktop always shows Chat beside one side pane.
  const phonePane: PhonePane = location.pane ?? (openPath ? 'files' : 'chat');
  const sidePane: SidePane = location.pane && location.pane !== 'chat' ? location.pane : openPath ? 'files' : 'changes';
  const setPhonePane = (pane: PhonePane) => location.navigate({ pane });
  const setSidePane = (pane: SidePane) => location.navigate({ pane });
  const [hasOpenedTerminal, setOpenedTerminal] = useState(false);
  // xterm loads the first time a Terminal pane is shown (desktop tab or phone tab), then stays mounted.
  // (State adjusted while rendering, not in an effect: no extra render with the pane missing.)
  if (location.pane === 'terminal' && !hasOpenedTerminal) setOpenedTerminal(true);
  // Panes kept mounted behind a tab refresh when they come into view: the agent may have changed files.
  const isFilesShown = phonePane === 'files' || sidePane === 'files';
  const isChangesShown = phonePane === 'changes' || sidePane === 'changes';
  const [hasOpenedFiles, setOpenedFiles] = useState(isFilesShown);
  if (isFilesShown && !hasOpenedFiles) setOpenedFiles(true);
  useEffect(() => {
    if (isFilesShown) invalidateWorkspaceDisk(queryClient, trpc, workspaceId, ['files']);
  }, [isFilesShown, workspaceId, queryClient, trpc]);
  useEffect(() => {
    if (isChangesShown) invalidateWorkspaceDisk(queryClient, trpc, workspaceId, ['changes']);
  }, [isChangesShown, workspaceId, queryClient, trpc]);
  // "Done, unread" and "needs you" are cleared by engaging with the workspace (a tap, a click, a key), not
  // by a tab left open.
  const status = useAgentStatus(workspaceId);
  const markSeen = useMutation(trpc.chats.markSeen.mutationOptions());
  const onEngage = () => {
    if (isUnread(status) && !markSeen.isPending) markSeen.mutate({ workspaceId });
  };

  if (!workspace) {
    return (
      <div className="flex flex-1 flex-col">
        <PhoneHeader />
        <div className="flex flex-1 items-center justify-center p-6" data-testid="workspace-missing">
          {workspaces.status === 'pending' ? <Spinner /> : null}
          {workspaces.status === 'error' ? <ErrorNote error={workspaces.error} /> : null}
          {workspaces.status === 'success' ? (
            <h1 className="text-sm font-normal text-fg-muted">This workspace does not exist (any more).</h1>
          ) : null}
        </div>
      </div>
    );
  }

  const openFile = (path: string | null) => location.navigate(path ? { pane: 'files', file: path } : { file: null });
  const show = (phone: boolean, desk: boolean) => cn(phone ? 'flex' : 'hidden', desk ? 'md:flex' : 'md:hidden');

  return (
    <div
      className="flex min-h-0 flex-1 flex-col"
      data-testid="workspace-view"
      data-workspace-id={workspace.id}
      onPointerDownCapture={onEngage}
      onKeyDownCapture={onEngage}
    >
      <PhoneHeader workspace={workspace} />
      <div className="flex min-h-0 flex-1">
        <section
          className={cn(
            'min-h-0 min-w-0 flex-1 flex-col md:border-r md:border-border',
            show(phonePane === 'chat', true),
          )}
          aria-label="Chat"
        >
          <DesktopPaneHeader workspace={workspace} />
          <PaneErrorBoundary
            what="The chat"
            onRetry={() => void queryClient.resetQueries(trpc.chats.list.queryFilter({ workspaceId: workspace.id }))}
          >
            <ChatPane workspace={workspace} initial={initialChat} />
          </PaneErrorBoundary>
        </section>
        <section
          className={cn(
            'min-h-0 min-w-0 flex-1 flex-col md:max-w-[52%]',
            phonePane === 'chat' ? 'hidden md:flex' : 'flex',
          )}
          aria-label="Workspace panes"
        >
          <div
            className="hidden h-11 shrink-0 items-center gap-1 border-b border-border px-2 md:flex"
            role="tablist"
            aria-label="Panes"
          >
            {SIDE_PANES.map(([id, label, Icon]) => (
              <button
                key={id}
                type="button"
                role="tab"
                aria-selected={sidePane === id}
                onClick={() => setSidePane(id)}
                data-testid={`pane-tab-${id}`}
                className={cn(
                  'inline-flex h-8 cursor-pointer items-center gap-1.5 rounded-md px-3 text-sm font-medium',
                  sidePane === id ? 'bg-bg-active text-fg' : 'text-fg-muted hover:bg-bg-hover hover:text-fg',
                )}
              >
                <Icon width={16} height={16} /> {label}
              </button>
            ))}
          </div>
          <div className={cn('min-h-0 flex-1 flex-col', show(phonePane === 'changes', sidePane === 'changes'))}>
            <PaneErrorBoundary
              what="Changes"
              onRetry={() => resetWorkspaceDisk(queryClient, trpc, workspace.id, ['changes'])}
            >
              <ChangesPane workspace={workspace} />
            </PaneErrorBoundary>
          </div>
          {hasOpenedFiles || isFilesShown ? (
            <div className={cn('min-h-0 flex-1 flex-col', show(phonePane === 'files', sidePane === 'files'))}>
              <PaneErrorBoundary
                what="Files"
                onRetry={() => resetWorkspaceDisk(queryClient, trpc, workspace.id, ['files', 'changes'])}
              >
                <FilesPane workspace={workspace} openPath={openPath} onOpenPath={openFile} />
              </PaneErrorBoundary>
            </div>
          ) : null}
          {hasOpenedTerminal ? (
            <div className={cn('min-h-0 flex-1 flex-col', show(phonePane === 'terminal', sidePane === 'terminal'))}>
              <PaneErrorBoundary what="The terminal">
                <TerminalPane workspace={workspace} />
              </PaneErrorBoundary>
            </div>
          ) : null}
        </section>
      </div>
      <nav
        className={cn(
          'grid shrink-0 grid-cols-4 border-t border-border bg-bg-elevated pb-[env(safe-area-inset-bottom)]',
          'md:hidden',
        )}
        aria-label="Panes"
        data-testid="mobile-tab-bar"
      >
        {PANES.map(([id, label, Icon]) => (
          <button
            key={id}
            type="button"
            aria-current={phonePane === id ? 'page' : undefined}
            onClick={() => setPhonePane(id)}
            data-testid={`tab-${id}`}
            className={cn(
              'flex min-h-14 cursor-pointer flex-col items-center justify-center gap-0.5 text-xs font-medium',
              phonePane === id ? 'text-accent' : 'text-fg-muted',
            )}
          >
            <Icon />
            {label}
          </button>
        ))}
      </nav>
    </div>
  );
}

function PhoneHeader({ workspace }: { workspace?: Workspace }) {
  const status = useAgentStatus(workspace?.id ?? '');
  return (
    <div className="flex h-12 shrink-0 items-center gap-1 border-b border-border px-1 md:hidden">
      <AppLink
        href="/"
        aria-label="Back to workspaces"
        className="inline-flex min-h-touch min-w-touch items-center justify-center rounded-md text-fg hover:bg-bg-hover"
        data-testid="back-to-workspaces"
      >
        <BackIcon />
      </AppLink>
      {workspace ? (
        <div className="flex min-w-0 flex-1 items-center gap-2">
          <StatusDot status={status} />
          <h1 className="truncate font-mono text-sm font-medium">{workspace.branch}</h1>
          <span className="shrink-0 text-xs text-fg-subtle">{statusLabel(status)}</span>
        </div>
      ) : null}
    </div>
  );
}

function DesktopPaneHeader({ workspace }: { workspace: Workspace }) {
  const status = useAgentStatus(workspace.id);
  return (
    <div className="hidden h-11 shrink-0 items-center gap-2 border-b border-border px-4 md:flex">
      <StatusDot status={status} />
      <BranchIcon width={16} height={16} className="text-fg-subtle" />
      <h1 className="truncate font-mono text-sm font-medium" data-testid="workspace-branch">
        {workspace.branch}
      </h1>
      <span className="text-xs text-fg-subtle">
        {statusLabel(status)} · from {workspace.baseBranch}
      </span>
    </div>
  );
}
