'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type KeyboardEvent, useEffect, useMemo, useState } from 'react';
import { ErrorNote } from '@/components/ui/error-note';
import { Button, IconButton } from '@/components/ui/button';
import { SendIcon, StopIcon } from '@/components/ui/icons';
import { Spinner } from '@/components/ui/spinner';
import { useAgentStatus } from '@/hooks/use-agent-statuses';
import { useChatStream } from '@/hooks/use-chat-stream';
import { cn } from '@/lib/cn';
import { invalidateWorkspaceDisk } from '@/lib/queries';
import { useTRPC, useTRPCClient } from '@/lib/trpc';
import { buildTranscript, type TranscriptTurn } from '@/lib/transcript';
import type { ChatPageData, Workspace } from '@/lib/types';
import { AttachButton, PickedFiles, useAttachments } from './attachments';
import { Transcript } from './chat-transcript';

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
