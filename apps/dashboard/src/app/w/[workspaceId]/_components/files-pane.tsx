'use client';
import { useQuery } from '@tanstack/react-query';
import { createContext, type MouseEvent, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { ErrorNote } from '@/components/ui/error-note';
import { Button, IconButton } from '@/components/ui/button';
import { BackIcon, ChevronRightIcon, FilesIcon, FolderIcon } from '@/components/ui/icons';
import { Spinner } from '@/components/ui/spinner';
import { lspLanguageOf, useLspClient } from '@/hooks/use-lsp';
import { cn } from '@/lib/cn';
import { formatBytes } from '@/lib/format';
import { highlightLine, languageOf } from '@/lib/highlight';
import { Markdown } from '@/lib/markdown';
import { useTRPC } from '@/lib/trpc';
import type { TreeEntry, Workspace } from '@/lib/types';

/** Lines rendered before "Show all" in the viewer. */
const MAX_LINES = 3_000;

export function FilesPane({
  workspace,
  openPath,
  onOpenPath,
}: {
  workspace: Workspace;
  openPath: string | null;
  onOpenPath: (path: string | null) => void;
}) {
  const [targetLine, setTargetLine] = useState<number | null>(null);
  // Uncommitted changes mark the tree: a file with its change letter, its folders with a dot.
  const trpc = useTRPC();
  const changes = useQuery(trpc.changes.status.queryOptions({ workspace: workspace.id, against: 'uncommitted' }));
  const changed = useMemo(
    () => new Map((changes.data?.files ?? []).map((f) => [f.path, f.status] as const)),
    [changes.data],
  );
  return (
    <ChangedContext.Provider value={changed}>
      <div className="flex min-h-0 flex-1" data-testid="files-pane">
        <nav
          className={cn(
            'min-h-0 flex-col overflow-y-auto border-border py-2 md:flex md:w-64 md:shrink-0 md:border-r',
            openPath ? 'hidden' : 'flex w-full',
          )}
          aria-label="File tree"
          data-testid="file-tree"
        >
          <TreeLevel workspace={workspace} path="" depth={0} selected={openPath} onSelect={onOpenPath} />
        </nav>
        <div className={cn('min-h-0 min-w-0 flex-1 flex-col', openPath ? 'flex' : 'hidden md:flex')}>
          {openPath ? (
            <FileViewer
              workspace={workspace}
              path={openPath}
              targetLine={targetLine}
              onBack={() => onOpenPath(null)}
              onGoTo={(path, line) => {
                setTargetLine(line);
                onOpenPath(path);
              }}
            />
          ) : (
            <div
              className="flex flex-1 flex-col items-center justify-center gap-2 text-sm text-fg-subtle"
              data-testid="files-empty"
            >
              <FilesIcon width={28} height={28} />
              Pick a file to view it.
            </div>
          )}
        </div>
      </div>
    </ChangedContext.Provider>
  );
}

/** Paths with uncommitted changes → their status letter (M, A, D, R, U as in Changes). */
const ChangedContext = createContext<ReadonlyMap<string, string>>(new Map());

function TreeLevel({
  workspace,
  path,
  depth,
  selected,
  onSelect,
}: {
  workspace: Workspace;
  path: string;
  depth: number;
  selected: string | null;
  onSelect: (p: string) => void;
}) {
  const trpc = useTRPC();
  const tree = useQuery(trpc.files.list.queryOptions({ workspace: workspace.id, path }));
  if (tree.status === 'pending')
    return (
      <div style={{ paddingLeft: 12 + depth * 14 }} className="py-1">
        <Spinner size="sm" />
      </div>
    );
  if (tree.status === 'error')
    return (
      <div className="px-2">
        <ErrorNote error={tree.error} testId="files-error" />
      </div>
    );
  const entries = tree.data.entries;
  if (entries.length === 0 && depth === 0) return <p className="px-4 py-2 text-sm text-fg-subtle">Empty worktree.</p>;
  return (
    <ul>
      {entries.map((entry) => (
        <TreeNode
          key={entry.path}
          workspace={workspace}
          entry={entry}
          depth={depth}
          selected={selected}
          onSelect={onSelect}
        />
      ))}
    </ul>
  );
}

function TreeNode({
  workspace,
  entry,
  depth,
  selected,
  onSelect,
}: {
  workspace: Workspace;
  entry: TreeEntry;
  depth: number;
  selected: string | null;
  onSelect: (p: string) => void;
}) {
  // A file opened from a link or after a reload shows in the tree: its folders start open.
  const [isOpen, setOpen] = useState(() => Boolean(selected?.startsWith(`${entry.path}/`)));
  const isDir = entry.type === 'directory';
  const changed = useContext(ChangedContext);
  const change = isDir
    ? [...changed.keys()].some((p) => p.startsWith(`${entry.path}/`))
      ? 'dir'
      : undefined
    : changed.get(entry.path);
  return (
    <li>
      <button
        type="button"
        onClick={() => (isDir ? setOpen((v) => !v) : onSelect(entry.path))}
        aria-expanded={isDir ? isOpen : undefined}
        aria-current={selected === entry.path ? 'true' : undefined}
        data-testid={isDir ? 'tree-dir' : 'tree-file'}
        data-path={entry.path}
        data-changed={change ?? undefined}
        style={{ paddingLeft: 8 + depth * 14 }}
        className={cn(
          'flex min-h-touch w-full cursor-pointer items-center gap-1.5 pr-3 text-left text-sm hover:bg-bg-hover ' +
            'md:min-h-8',
          selected === entry.path && 'bg-bg-active',
        )}
      >
        {isDir ? (
          <ChevronRightIcon
            width={14}
            height={14}
            className={cn('shrink-0 text-fg-subtle transition-transform', isOpen && 'rotate-90')}
          />
        ) : (
          <span className="w-3.5 shrink-0" />
        )}
        {isDir ? (
          <FolderIcon width={16} height={16} className="shrink-0 text-accent" />
        ) : (
          <FilesIcon width={16} height={16} className="shrink-0 text-fg-subtle" />
        )}
        <span className={cn('truncate font-mono text-[13px]', change && 'text-warn')}>{entry.name}</span>
        {change === 'dir' ? (
          <span className="ml-auto size-1.5 shrink-0 rounded-full bg-warn" title="Contains uncommitted changes" />
        ) : change ? (
          <span className="ml-auto shrink-0 font-mono text-xs text-warn" title="Uncommitted change">
            {change}
          </span>
        ) : null}
      </button>
      {isDir && isOpen ? (
        <TreeLevel workspace={workspace} path={entry.path} depth={depth + 1} selected={selected} onSelect={onSelect} />
      ) : null}
    </li>
  );
}

function FileViewer({
  workspace,
  path,
  targetLine,
  onBack,
  onGoTo,
}: {
  workspace: Workspace;
  path: string;
  targetLine: number | null;
  onBack: () => void;
  onGoTo: (path: string, line: number) => void;
}) {
  const trpc = useTRPC();
  const file = useQuery(trpc.files.read.queryOptions({ workspace: workspace.id, path }));
  const [showAll, setShowAll] = useState(false);
  const [hover, setHover] = useState<{ x: number; y: number; text: string } | null>(null);
  const lsp = useLspClient(workspace.id, lspLanguageOf(path));
  const hoverTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const codeRef = useRef<HTMLPreElement>(null);
  const lang = languageOf(path);
  const content = file.data && 'content' in file.data ? file.data.content : null;
  const lines = content !== null ? content.split('\n') : [];
  const shown = showAll || (targetLine ?? 0) >= MAX_LINES ? lines : lines.slice(0, MAX_LINES);

  useEffect(() => {
    if (targetLine === null || content === null) return;
    codeRef.current?.querySelector(`[data-line="${targetLine}"]`)?.scrollIntoView({ block: 'center' });
  }, [targetLine, content]);

  // Where in the file the pointer is: the line from the row, the character from a DOM range up to the caret.
  const positionAt = (e: MouseEvent): { line: number; character: number } | null => {
    const caret = document.caretRangeFromPoint?.(e.clientX, e.clientY);
    const row = (e.target as HTMLElement).closest<HTMLElement>('[data-line]');
    const code = row?.querySelector<HTMLElement>('[data-code]');
    if (!caret || !row || !code?.contains(caret.startContainer)) return null;
    const range = document.createRange();
    range.setStart(code, 0);
    range.setEnd(caret.startContainer, caret.startOffset);
    return { line: Number(row.dataset.line), character: range.toString().length };
  };

  const onMouseMove = (e: MouseEvent) => {
    clearTimeout(hoverTimer.current);
    if (!lsp.current || content === null) return;
    const pos = positionAt(e);
    const { clientX, clientY } = e;
    hoverTimer.current = setTimeout(async () => {
      if (!pos || !lsp.current) return setHover(null);
      const text = await lsp.current.hover(path, content, pos.line, pos.character).catch(() => null);
      setHover(text ? { x: clientX, y: clientY, text } : null);
    }, 350);
  };

  const onClick = async (e: MouseEvent) => {
    if (!(e.metaKey || e.ctrlKey) || !lsp.current || content === null) return;
    const pos = positionAt(e);
    if (!pos) return;
    const target = await lsp.current.definition(path, content, pos.line, pos.character).catch(() => null);
    if (target) onGoTo(target.path, target.line);
  };

  return (
    <div className="flex min-h-0 flex-1 flex-col" data-testid="file-viewer" data-path={path}>
      <div className="flex items-center gap-2 border-b border-border px-2 py-1">
        <IconButton label="Back to files" onClick={onBack} className="md:hidden" data-testid="file-viewer-back">
          <BackIcon />
        </IconButton>
        <span
          className="min-w-[8rem] flex-1 truncate px-1 font-mono text-[13px]"
          title={path}
          data-testid="file-viewer-path"
        >
          {path}
        </span>
        {lspLanguageOf(path) ? (
          <span
            className="hidden min-w-0 shrink-[2] truncate text-xs text-fg-subtle lg:inline"
            title="Hover for types · Ctrl+click to go to definition"
            data-testid="lsp-hint"
          >
            Hover for types · Ctrl+click to go to definition
          </span>
        ) : null}
        {file.data?.size !== undefined ? (
          <span className="text-xs text-fg-subtle">{formatBytes(file.data.size)}</span>
        ) : null}
      </div>
      <div className="min-h-0 flex-1 overflow-auto bg-bg-sunken" onScroll={() => setHover(null)}>
        {file.status === 'pending' ? (
          <div className="p-3">
            <Spinner />
          </div>
        ) : null}
        {file.status === 'error' ? (
          <div className="p-3">
            <ErrorNote error={file.error} testId="file-error" />
          </div>
        ) : null}
        {file.data?.binary ? <p className="p-4 text-sm text-fg-muted">Binary file, not shown.</p> : null}
        {file.data?.tooLarge ? <p className="p-4 text-sm text-fg-muted">This file is too large to show here.</p> : null}
        {content !== null ? (
          <pre
            ref={codeRef}
            className="py-2 font-mono text-[12.5px] leading-5"
            data-testid="file-content"
            onMouseMove={onMouseMove}
            onMouseLeave={() => {
              clearTimeout(hoverTimer.current);
              setHover(null);
            }}
            onClick={onClick}
          >
            {shown.map((line, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: lines of a file
              <div key={i} data-line={i} className={cn('flex', targetLine === i && 'bg-accent-soft')}>
                <span className="w-12 shrink-0 select-none pr-3 text-right text-fg-subtle">{i + 1}</span>
                <span data-code className="whitespace-pre pr-4">
                  {highlightLine(line, lang) || '\u00a0'}
                </span>
              </div>
            ))}
          </pre>
        ) : null}
        {lines.length > shown.length ? (
          <Button size="sm" variant="ghost" className="m-2" onClick={() => setShowAll(true)}>
            Show {lines.length - shown.length} more lines
          </Button>
        ) : null}
      </div>
      {hover ? (
        <div
          role="tooltip"
          data-testid="lsp-hover"
          className={cn(
            'pointer-events-none fixed z-40 max-h-64 max-w-lg overflow-hidden rounded-md border',
            'border-border-strong bg-bg-elevated px-3 py-2 text-sm shadow-panel',
          )}
          style={{ left: Math.min(hover.x + 12, window.innerWidth - 520), top: hover.y + 16 }}
        >
          <Markdown text={hover.text} />
        </div>
      ) : null}
    </div>
  );
}
