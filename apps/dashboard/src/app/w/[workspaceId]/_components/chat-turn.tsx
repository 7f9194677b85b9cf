// One turn of a chat: the prompt, what the agent did (text, tool calls, approval cards) and how it ended.
import { AppLink } from '@/components/ui/app-link';
import { useMutation } from '@tanstack/react-query';
import { ErrorNote } from '@/components/ui/error-note';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { ChevronRightIcon } from '@/components/ui/icons';
import { Spinner } from '@/components/ui/spinner';
import { cn } from '@/lib/cn';
import { formatCost, formatDuration } from '@/lib/format';
import { Markdown } from '@/lib/markdown';
import type { TranscriptItem, TranscriptTurn } from '@/lib/transcript';
import { onDemand } from '@/lib/on-demand';
import { MessageAttachments } from './attachments';

// An agent's question or permission prompt is not on most chats' first screen: its card's code loads with the first
// one shown (issue 19: the workspace page's first-load JS).
const ApprovalCard = onDemand(() => import('./approval-card').then((m) => m.ApprovalCard));

/**
 * What Retry sends again: the failed turn's message with the files it carried (uploads stay until the workspace
 * goes).
 */
export type RetryMessage = { prompt: string; attachmentIds?: string[] };

/** Under a failed turn: try the same message again, or fix the agent in Settings. */
export function FailedTurnActions({
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

export function TurnView({
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
