'use client';
import { AppLink } from '@/components/ui/app-link';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type KeyboardEvent, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { ErrorNote } from '@/components/ui/error-note';
import { Badge } from '@/components/ui/badge';
import { Button, IconButton } from '@/components/ui/button';
import { ChevronRightIcon, SendIcon, StopIcon } from '@/components/ui/icons';
import { Spinner } from '@/components/ui/spinner';
import { useAgentStatus } from '@/hooks/use-agent-statuses';
import { useChatStream } from '@/hooks/use-chat-stream';
import { cn } from '@/lib/cn';
import { formatCost, formatDuration } from '@/lib/format';
import { Markdown } from '@/lib/markdown';
import { invalidateWorkspaceDisk } from '@/lib/queries';
import { useTRPC, useTRPCClient } from '@/lib/trpc';
import { buildTranscript, type TranscriptItem, type TranscriptTurn } from '@/lib/transcript';
import type { ChatPageData, Workspace } from '@/lib/types';
import { onDemand } from '@/lib/on-demand';
import { AttachButton, MessageAttachments, PickedFiles, useAttachments } from './attachments';

// An agent's question or permission prompt is not on most chats' first screen: its card's code loads with the first
// one shown (issue 19: the workspace page's first-load JS).
const ApprovalCard = onDemand(() => import('./approval-card').then((m) => m.ApprovalCard));

export function ChatPane({ workspace, initial }: { workspace: Workspace; initial?: ChatPageData }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const chats = useQuery(trpc.chats.list.queryOptions({ workspaceId: workspace.id }));
  const [sentChatId, setSentChatId] = useState<string | null>(null);
  // The server picked its chat the same way (lib/page-data.ts), before the chat list is here.
  const chatId = workspace.activeChatId ?? sentChatId ?? chats.data?.[0]?.id ?? initial?.chatId ?? null;
  const stream = useChatStream(chatId, initial);
  const status = useAgentStatus(workspace.id);

  const transcript = useMemo(() => buildTranscript(stream.events), [stream.events]);
  // The agent changed files (a tool finished, or the turn ended): Changes and Files re-read now, not at the next poll.
  // The newest such event only: an older page of history arriving changes nothing on disk.
  const fileEvent = useMemo(
    () => stream.events.findLast((e) => e.type === 'tool-result' || e.type === 'turn-end')?.seq ?? 0,
    [stream.events],
  );
  useEffect(() => {
    if (fileEvent === 0) return;
    invalidateWorkspaceDisk(queryClient, trpc, workspace.id);
  }, [fileEvent, workspace.id, queryClient, trpc]);
  const queued = transcript.filter((t) => t.status === 'queued');
  const shown = transcript.filter((t) => t.status !== 'queued' && t.status !== 'discarded');
  const isWorking = status === 'working' || shown.some((t) => t.status === 'running');

  return (
    <div className="flex min-h-0 flex-1 flex-col" data-testid="chat-pane" data-chat-id={chatId ?? ''}>
      <Transcript
        turns={shown}
        root={workspace.path}
        onRetry={
          chatId
            ? (turn) =>
                client.chats.send.mutate({
                  chatId,
                  workspaceId: workspace.id,
                  message: turn.prompt,
                  attachmentIds: turn.attachmentIds,
                })
            : undefined
        }
        isWorking={isWorking}
        isLoading={(chats.status === 'pending' && !chatId) || stream.loading}
        hasOlder={stream.hasOlder}
        loadingOlder={stream.loadingOlder}
        onLoadOlder={() => void stream.loadOlder()}
      />
      {stream.error ? (
        <div className="px-3 pb-2">
          <ErrorNote error={stream.error} testId="chat-stream-error" />
        </div>
      ) : null}
      {queued.length > 0 && chatId ? <Queue chatId={chatId} queued={queued} /> : null}
      <Composer workspace={workspace} chatId={chatId} isWorking={isWorking} onSent={setSentChatId} />
    </div>
  );
}

/**
 * What Retry sends again: the failed turn's message with the files it carried (uploads stay until the workspace
 * goes).
 */
type RetryMessage = { prompt: string; attachmentIds?: string[] };

/** Under a failed turn: try the same message again, or fix the agent in Settings. */
function FailedTurnActions({
  turn,
  onRetry,
}: {
  turn: TranscriptTurn;
  onRetry?: (message: RetryMessage) => Promise<unknown>;
}) {
  const retry = useMutation({ mutationFn: (m: RetryMessage) => onRetry?.(m) ?? Promise.resolve(undefined) });
  const prompt = turn.prompt;
  const attachmentIds = turn.attachments?.map((a) => a.id);
  return (
    <div className="flex flex-wrap items-center gap-2" data-testid="chat-failed-actions">
      {onRetry && prompt ? (
        <Button
          size="sm"
          variant="secondary"
          disabled={retry.isPending}
          onClick={() => retry.mutate({ prompt, attachmentIds })}
          data-testid="chat-retry"
        >
          {retry.isPending ? <Spinner /> : null} Retry
        </Button>
      ) : null}
      <AppLink
        href="/settings"
        className={cn(
          'inline-flex min-h-touch items-center rounded-md px-3 text-sm font-medium text-accent hover:bg-bg-hover',
          'md:min-h-8',
        )}
        data-testid="chat-settings-link"
      >
        Agent settings
      </AppLink>
      {retry.error ? <ErrorNote error={retry.error} /> : null}
    </div>
  );
}

/**
 * The messages waiting for their turn. After Stop they are paused (Stop means stop): each one can be sent now
 * or discarded; a message typed after Stop runs at once, ahead of them.
 */
function Queue({ chatId, queued }: { chatId: string; queued: TranscriptTurn[] }) {
  const paused = queued.some((t) => t.paused);
  const trpc = useTRPC();
  const resume = useMutation(trpc.chats.resume.mutationOptions());
  const discard = useMutation(trpc.chats.discard.mutationOptions());
  const error = resume.error ?? discard.error;
  return (
    <div
      className="border-t border-border bg-bg-elevated px-3 py-2 md:px-6"
      data-testid="chat-queue"
      data-paused={paused ? 'true' : 'false'}
    >
      <div className="mx-auto max-w-3xl">
        <p className="mb-1 text-xs font-semibold uppercase tracking-wide text-fg-subtle" data-testid="chat-queue-title">
          {paused ? `Paused after Stop (${queued.length})` : `Queued (${queued.length})`}
        </p>
        {paused ? <p className="mb-1 text-xs text-fg-muted">Nothing is sent until you say so.</p> : null}
        {error ? <ErrorNote error={error} testId="chat-queue-error" /> : null}
        <ul className="flex flex-col gap-1">
          {queued.map((t) => (
            <li
              key={t.key}
              className="flex items-center gap-2"
              data-testid="chat-queued-item"
              data-turn-id={t.turnId ?? ''}
              data-paused={t.paused ? 'true' : 'false'}
            >
              <span className="min-w-0 flex-1 truncate text-sm text-fg-muted">{t.prompt}</span>
              {t.paused && t.turnId ? (
                <Button
                  size="sm"
                  variant="secondary"
                  data-testid="chat-queued-send"
                  disabled={resume.isPending}
                  onClick={() => resume.mutate({ chatId, turnId: t.turnId! })}
                >
                  Send now
                </Button>
              ) : null}
              {t.turnId ? (
                <Button
                  size="sm"
                  variant="ghost"
                  data-testid="chat-queued-discard"
                  aria-label={`Discard the queued message: ${t.prompt?.slice(0, 40) ?? ''}`}
                  disabled={discard.isPending}
                  onClick={() => discard.mutate({ chatId, turnId: t.turnId! })}
                >
                  Discard
                </Button>
              ) : null}
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

/** Height assumed for a turn not measured yet (px); the average of the measured ones once there are some. */
const ESTIMATED_TURN = 200;
/** Space between turns (`gap-6`). */
const TURN_GAP = 24;

interface Anchor {
  /** The first turn at or below the top of the viewport… */
  key: string;
  /** …and its top, relative to the viewport's top (px). Kept when turns above it change or older ones arrive. */
  offset: number;
}

/**
 * The transcript, virtualised: only the turns within a screen of the viewport are in the DOM; the others are a
 * padding of their measured (or estimated) height. The reader's position is kept across changes above it (older
 * pages arriving, a turn measured): the first visible turn stays where it was on screen. At the bottom it follows
 * the stream; near the top it asks for the older page.
 */
function Transcript({
  turns,
  root,
  onRetry,
  isWorking,
  isLoading,
  hasOlder,
  loadingOlder,
  onLoadOlder,
}: {
  turns: TranscriptTurn[];
  root: string;
  onRetry?: (message: RetryMessage) => Promise<unknown>;
  isWorking: boolean;
  isLoading: boolean;
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const isPinned = useRef(true);
  const anchor = useRef<Anchor | null>(null);
  /** `scrollTop` when the anchor was last read or applied. A scroll whose event has not fired yet shows as a
   * difference, and a layout in that window must not undo it. */
  const knownScrollTop = useRef(0);
  const heights = useRef(new Map<string, number>());
  /** Where the list starts inside the scrolled content, and the viewport's height (px), as last laid out. */
  const layout = useRef({ listTop: 0, viewport: 844 });
  const rendered = useRef({ start: 0, end: 0 });
  const [, setTick] = useState(0);
  const rerender = useCallback(() => setTick((t) => t + 1), []);

  const observer = useMemo(
    () =>
      typeof ResizeObserver === 'undefined'
        ? null
        : new ResizeObserver((entries) => {
            let changed = false;
            for (const entry of entries) {
              const key = (entry.target as HTMLElement).dataset.turnKey;
              if (!key || !entry.target.isConnected) continue;
              const h = Math.round((entry.target as HTMLElement).offsetHeight) + TURN_GAP;
              if (heights.current.get(key) !== h) {
                heights.current.set(key, h);
                changed = true;
              }
            }
            if (changed) rerender();
          }),
    [rerender],
  );
  useEffect(() => () => observer?.disconnect(), [observer]);
  const observe = useCallback(
    (el: HTMLElement | null) => {
      if (!el || !observer) return;
      observer.observe(el);
      return () => observer.unobserve(el);
    },
    [observer],
  );

  // Virtual positions: top of each turn within the list, from measured heights (estimated for the others).
  const measured = [...heights.current.values()];
  const estimate = measured.length > 0 ? measured.reduce((a, b) => a + b, 0) / measured.length : ESTIMATED_TURN;
  const tops = new Array<number>(turns.length + 1);
  tops[0] = 0;
  for (let i = 0; i < turns.length; i++) tops[i + 1] = tops[i]! + (heights.current.get(turns[i]!.key) ?? estimate);
  const total = tops[turns.length]!;

  /** The turns to render for a viewport whose top is at `top` in list coordinates: a screen of margin each side. */
  const rangeAt = (top: number) => {
    const { viewport } = layout.current;
    let start = 0;
    while (start < turns.length && tops[start + 1]! <= top - viewport) start++;
    let end = start;
    while (end < turns.length && tops[end]! < top + 2 * viewport) end++;
    return {
      start: Math.min(start, Math.max(0, turns.length - 1)),
      end: Math.max(end, Math.min(turns.length, start + 1)),
    };
  };
  /** The newest turns that fill a screen (by their estimated heights). */
  function newestScreen() {
    let first = turns.length;
    while (first > 0 && total - tops[first]! < layout.current.viewport) first--;
    return { start: first, end: turns.length };
  }
  /** Where the viewport's top is, in list coordinates: at the bottom when following, else where the anchor says. */
  const viewportTop = () => {
    const { viewport, listTop } = layout.current;
    if (isPinned.current) return total - viewport;
    const a = anchor.current;
    const i = a ? turns.findIndex((t) => t.key === a.key) : -1;
    if (a && i >= 0) return tops[i]! - a.offset;
    return (ref.current?.scrollTop ?? 0) - listTop;
  };
  // The first render (the server's HTML, and hydration, which must match it) has not been laid out: it shows the
  // newest screen of turns with no padding, so a phone sees the latest messages before any script runs. The first
  // layout then renders the virtual range and follows the bottom, before the browser paints.
  const hasLaidOut = useRef(false);
  const { start, end } = hasLaidOut.current ? rangeAt(viewportTop()) : newestScreen();
  rendered.current = { start, end };

  // After each layout: follow the bottom, or put the anchor turn back where the reader saw it.
  useLayoutEffect(() => {
    const el = ref.current;
    const list = listRef.current;
    if (!el || !list) return;
    if (!hasLaidOut.current) {
      hasLaidOut.current = true;
      if (turns.length > 0) rerender();
    }
    const box = el.getBoundingClientRect();
    layout.current = {
      listTop: list.getBoundingClientRect().top - box.top + el.scrollTop,
      viewport: el.clientHeight || layout.current.viewport,
    };
    // The reader scrolled since the anchor was read (their scroll event is still queued): keep their scroll. Not
    // when the content got shorter under a viewport at its end: the browser moved scrollTop, not the reader.
    const atEnd = el.scrollTop >= el.scrollHeight - el.clientHeight - 1;
    const scrolled = atEnd && el.scrollTop < knownScrollTop.current ? 0 : el.scrollTop - knownScrollTop.current;
    if (isPinned.current && scrolled < -1 && el.scrollHeight - el.scrollTop - el.clientHeight >= 80) {
      isPinned.current = false;
    }
    if (anchor.current && !isPinned.current && Math.abs(scrolled) >= 1) {
      anchor.current = { ...anchor.current, offset: anchor.current.offset - scrolled };
    }
    if (isPinned.current) {
      el.scrollTop = el.scrollHeight;
      knownScrollTop.current = el.scrollTop;
      // Where the followed bottom put the turns, for a flick up that this layout's scroll event has not reported.
      anchor.current = readAnchor();
      return;
    }
    const a = anchor.current;
    const node = a ? list.querySelector<HTMLElement>(`[data-turn-key="${CSS.escape(a.key)}"]`) : null;
    if (a && node) {
      const shift = node.getBoundingClientRect().top - box.top - a.offset;
      if (Math.abs(shift) >= 1) el.scrollTop += shift;
    }
    knownScrollTop.current = el.scrollTop;
  });

  // Near the top (or a first page shorter than the screen): read the page before.
  useEffect(() => {
    const el = ref.current;
    if (el && hasOlder && !loadingOlder && el.scrollTop < el.clientHeight) onLoadOlder();
  });

  /** The reader's place in the DOM as it is now. */
  const readAnchor = (): Anchor | null => {
    const el = ref.current;
    const list = listRef.current;
    if (!el || !list) return null;
    const boxTop = el.getBoundingClientRect().top;
    // The anchor: the first turn that starts on screen (a turn cut by the top edge may still grow above it, when
    // the older page brings its beginning); else the turn that fills the screen; else (scrolled into the padding)
    // the virtual one.
    let next: Anchor | null = null;
    let covering: Anchor | null = null;
    for (const node of list.querySelectorAll<HTMLElement>('[data-turn-key]')) {
      const r = node.getBoundingClientRect();
      if (r.bottom <= boxTop) continue;
      covering ??= { key: node.dataset.turnKey!, offset: r.top - boxTop };
      if (r.top >= boxTop - 1) {
        if (r.top < boxTop + el.clientHeight) next = { key: node.dataset.turnKey!, offset: r.top - boxTop };
        break;
      }
    }
    next ??= covering;
    if (!next || next.offset > el.clientHeight) {
      const top = el.scrollTop - layout.current.listTop;
      let i = 0;
      while (i < turns.length - 1 && tops[i + 1]! <= top) i++;
      next = turns[i] ? { key: turns[i]!.key, offset: tops[i]! - top } : null;
    }
    return next;
  };

  const onScroll = () => {
    const el = ref.current;
    if (!el || !listRef.current) return;
    isPinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    anchor.current = readAnchor();
    knownScrollTop.current = el.scrollTop;
    const range = rangeAt(viewportTop());
    if (range.start !== rendered.current.start || range.end !== rendered.current.end) rerender();
    if (hasOlder && !loadingOlder && el.scrollTop < el.clientHeight) onLoadOlder();
  };

  const lastTurn = turns.at(-1);
  return (
    <div
      ref={ref}
      className="relative min-h-0 flex-1 overflow-y-auto px-3 py-4 [overflow-anchor:none] md:px-6"
      data-testid="chat-transcript"
      data-has-older={hasOlder ? 'true' : 'false'}
      data-loading-older={loadingOlder ? 'true' : 'false'}
      onScroll={onScroll}
    >
      <div className="mx-auto flex max-w-3xl flex-col gap-6">
        {loadingOlder ? (
          <p
            className="flex items-center justify-center gap-2 text-xs text-fg-subtle"
            role="status"
            data-testid="chat-loading-older"
          >
            <Spinner /> Loading earlier messages…
          </p>
        ) : null}
        {isLoading ? <Spinner className="self-center" /> : null}
        {!isLoading && turns.length === 0 ? (
          <div className="flex flex-col items-center gap-2 py-16 text-center" data-testid="chat-empty">
            <p className="text-base font-medium">Start the conversation</p>
            <p className="max-w-sm text-sm text-fg-muted">
              Describe a change. The agent works in this workspace's worktree; review what it did in Changes.
            </p>
          </div>
        ) : null}
        <div
          ref={listRef}
          className="flex flex-col gap-6"
          style={
            hasLaidOut.current
              ? { paddingTop: tops[start] ?? 0, paddingBottom: Math.max(0, total - (tops[end] ?? total)) }
              : undefined
          }
        >
          {turns.slice(start, end).map((turn) => (
            <TurnView
              key={turn.key}
              turn={turn}
              root={root}
              onRetry={turn === lastTurn ? onRetry : undefined}
              observe={observe}
            />
          ))}
        </div>
        {isWorking ? (
          <div className="flex items-center gap-2 text-sm text-fg-muted" data-testid="chat-working">
            <Spinner />{' '}
            {turns.some((t) => t.items.some((i) => i.kind === 'approval' && i.state === 'pending'))
              ? 'The agent waits for your answer…'
              : 'Agent is working…'}
          </div>
        ) : null}
      </div>
    </div>
  );
}

function TurnView({
  turn,
  root,
  onRetry,
  observe,
}: {
  turn: TranscriptTurn;
  root: string;
  onRetry?: (message: RetryMessage) => Promise<unknown>;
  observe: (el: HTMLElement | null) => (() => void) | undefined;
}) {
  return (
    <article
      ref={observe}
      className="flex flex-col gap-3"
      data-testid="chat-turn"
      data-turn-status={turn.status}
      data-turn-key={turn.key}
    >
      {turn.prompt !== undefined ? (
        <div
          className={cn(
            'self-end rounded-lg rounded-br-sm bg-accent-soft px-3.5 py-2.5 text-[15px] whitespace-pre-wrap',
            'break-words text-fg md:max-w-[80%]',
          )}
          data-testid="chat-prompt"
        >
          {turn.prompt}
        </div>
      ) : null}
      {turn.attachments?.length ? <MessageAttachments attachments={turn.attachments} /> : null}
      {turn.items.map((item) => (
        <Item key={item.key} item={item} root={root} />
      ))}
      {turn.status === 'failed' ? <FailedTurnActions turn={turn} onRetry={onRetry} /> : null}
    </article>
  );
}

function Item({ item, root }: { item: TranscriptItem; root: string }) {
  switch (item.kind) {
    case 'text':
      return (
        <div className="text-[15px] leading-relaxed text-fg" data-testid="chat-text">
          <Markdown text={item.text} />
        </div>
      );
    case 'tool':
      return (
        <details className="group rounded-md border border-border bg-bg-elevated text-sm" data-testid="chat-tool">
          <summary className="flex min-h-touch cursor-pointer list-none items-center gap-2 px-3 md:min-h-9">
            <ChevronRightIcon
              width={16}
              height={16}
              className="shrink-0 text-fg-subtle transition-transform group-open:rotate-90"
            />
            <span className="font-mono text-[13px] font-medium">{item.name}</span>
            <span className="min-w-0 flex-1 truncate font-mono text-xs text-fg-subtle">
              {summarizeInput(item.input, root)}
            </span>
            {item.output === undefined ? (
              <Spinner size="sm" />
            ) : item.isError ? (
              <Badge tone="danger">error</Badge>
            ) : (
              <Badge tone="ok">done</Badge>
            )}
          </summary>
          <div className="flex flex-col gap-2 border-t border-border p-3">
            <ToolInput name={item.name} input={item.input} />
            {item.output !== undefined ? (
              <pre
                className={cn(
                  'max-h-80 overflow-auto whitespace-pre-wrap break-all rounded bg-bg-sunken p-2 font-mono text-xs',
                  item.isError ? 'text-danger' : 'text-fg',
                )}
              >
                {item.output.length > 20_000
                  ? `${item.output.slice(0, 20_000)}\n… (${item.output.length - 20_000} more characters)`
                  : item.output}
              </pre>
            ) : null}
          </div>
        </details>
      );
    case 'error':
      return (
        <div
          role="alert"
          className="rounded-md border border-danger/40 bg-danger-soft px-3 py-2 text-sm"
          data-testid="chat-error"
        >
          <p className="font-medium text-danger">{item.message}</p>
          {item.detail ? (
            <pre className="mt-1 max-h-40 overflow-auto whitespace-pre-wrap font-mono text-xs text-fg-muted">
              {item.detail}
            </pre>
          ) : null}
        </div>
      );
    case 'approval':
      return <ApprovalCard item={item} root={root} />;
    case 'stopped':
      return (
        <p className="flex items-center gap-2 text-xs text-fg-subtle" data-testid="chat-stopped">
          <span className="font-medium text-fg-muted">Stopped</span>
          {item.durationMs !== undefined ? <span>{formatDuration(item.durationMs)}</span> : null}
        </p>
      );
    case 'result':
      return (
        <div
          className="flex flex-wrap items-center gap-2 text-xs text-fg-subtle"
          data-testid="chat-result"
          data-status={item.status}
        >
          <Badge tone={item.status === 'success' ? 'ok' : item.status === 'aborted' ? 'warn' : 'danger'}>
            {item.status}
          </Badge>
          {item.durationMs !== undefined ? (
            <span data-testid="chat-duration">{formatDuration(item.durationMs)}</span>
          ) : null}
          {item.costUsd !== undefined ? <span data-testid="chat-cost">{formatCost(item.costUsd)}</span> : null}
          {item.reason ? <span>{item.reason}</span> : null}
        </div>
      );
  }
}

/** A tool call's input: what was written for Write (the file content), a command for Bash, else the JSON. */
function ToolInput({ name, input }: { name: string; input: unknown }) {
  const o = input && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  if (name === 'Write' && typeof o.content === 'string') {
    return (
      <pre
        className={cn(
          'max-h-64 overflow-auto whitespace-pre-wrap break-all rounded bg-bg-sunken p-2 font-mono text-xs text-fg',
        )}
        data-testid="chat-tool-content"
      >
        {o.content}
      </pre>
    );
  }
  if (name === 'Bash' && typeof o.command === 'string') {
    return (
      <pre className="max-h-64 overflow-auto whitespace-pre-wrap break-all font-mono text-xs text-fg-muted">
        $ {o.command}
      </pre>
    );
  }
  return (
    <pre className="max-h-64 overflow-auto whitespace-pre-wrap break-all font-mono text-xs text-fg-muted">
      {JSON.stringify(input, null, 2)}
    </pre>
  );
}

function summarizeInput(input: unknown, root: string): string {
  if (!input || typeof input !== 'object') return '';
  const o = input as Record<string, unknown>;
  const first = o.file_path ?? o.path ?? o.command ?? o.pattern ?? o.url ?? Object.values(o)[0];
  if (typeof first !== 'string') return '';
  // Paths inside the worktree read better relative to it.
  return first.startsWith(`${root}/`) ? first.slice(root.length + 1) : first;
}

function Composer({
  workspace,
  chatId,
  isWorking,
  onSent,
}: {
  workspace: Workspace;
  chatId: string | null;
  isWorking: boolean;
  onSent: (chatId: string) => void;
}) {
  const [text, setText] = useState('');
  const attachments = useAttachments(workspace.id);
  // A chat started from the dashboard may edit files (the agent's edit mode); review happens in Changes.
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const send = useMutation({
    // A chat started from the dashboard is created on first send, in edit mode.
    mutationFn: async (input: { message: string; attachmentIds: string[] }) =>
      client.chats.send.mutate({
        chatId: chatId ?? (await client.chats.create.mutate({ workspaceId: workspace.id, mode: 'edit' })).id,
        workspaceId: workspace.id,
        message: input.message,
        ...(input.attachmentIds.length > 0 ? { attachmentIds: input.attachmentIds } : {}),
      }),
  });
  const abort = useMutation(trpc.chats.abort.mutationOptions());
  const submit = async () => {
    const prompt = text.trim();
    if (!prompt || attachments.uploading) return;
    const result = await send.mutateAsync({ message: prompt, attachmentIds: attachments.ids }).catch(() => undefined);
    if (result) {
      setText('');
      attachments.clear();
      onSent(result.chat.id);
      if (result.chat.id !== chatId) {
        void queryClient.invalidateQueries(trpc.chats.list.queryFilter({ workspaceId: workspace.id }));
        void queryClient.invalidateQueries(trpc.workspaces.list.queryFilter());
      }
    }
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter sends on a keyboard; Shift+Enter (and the phone's return key with composition) adds a line.
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    }
  };
  return (
    <div
      className={cn(
        'border-t border-border bg-bg-elevated px-3 pb-[max(0.75rem,env(safe-area-inset-bottom))] pt-3',
        'md:px-6',
      )}
    >
      {send.error ? (
        <div className="mx-auto mb-2 max-w-3xl">
          <ErrorNote error={send.error} testId="chat-send-error" />
        </div>
      ) : null}
      <PickedFiles files={attachments.files} error={attachments.error} onRemove={attachments.remove} />
      <form
        className="mx-auto flex max-w-3xl items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <AttachButton onFiles={attachments.add} />
        <textarea
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
          rows={1}
          placeholder={isWorking ? 'Queue a follow-up…' : 'Message the agent…'}
          aria-label="Message"
          data-testid="chat-input"
          className={cn(
            'max-h-48 min-h-touch flex-1 resize-none rounded-md border border-border bg-bg-sunken px-3 py-2.5',
            'text-base text-fg placeholder:text-fg-subtle focus:border-accent focus:outline-none md:text-sm',
          )}
        />
        {isWorking && chatId ? (
          <IconButton
            variant="danger"
            label="Stop the agent"
            data-testid="chat-abort"
            disabled={abort.isPending}
            onClick={() => abort.mutate({ chatId })}
          >
            <StopIcon />
          </IconButton>
        ) : null}
        <IconButton
          variant="primary"
          type="submit"
          label="Send"
          data-testid="chat-send"
          disabled={send.isPending || attachments.uploading || !text.trim()}
        >
          {send.isPending ? <Spinner /> : <SendIcon />}
        </IconButton>
      </form>
    </div>
  );
}
