'use client';
import { cn } from '@/lib/cn';
// Attachments in the chat: the composer's attach button and chips (each file uploads as soon as it is picked),
// and the list a sent message shows.
import { type ChangeEvent, useCallback, useRef, useState } from 'react';
import { IconButton } from '@/components/ui/button';
import { PaperclipIcon } from '@/components/ui/icons';
import { ErrorNote } from '@/components/ui/error-note';
import { Spinner } from '@/components/ui/spinner';
import { formatBytes } from '@/lib/format';
import { describeError, useTRPCClient } from '@/lib/trpc';
import type { TranscriptAttachment } from '@/lib/transcript';

/** Mirrors `uploadLimits` of @band/api (the server enforces them; checking here saves a phone the upload). */
const MAX_FILE_BYTES = 20 * 1024 * 1024;
const MAX_FILES = 10;

export interface PickedFile {
  key: string;
  name: string;
  size: number;
  /** Set once uploaded. */
  id?: string;
  uploading: boolean;
}

/** The files picked for the next message: each uploads at once; `ids` are the ready ones. */
export function useAttachments(workspaceId: string) {
  const [files, setFiles] = useState<PickedFile[]>([]);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  const counter = useRef(0);
  const client = useTRPCClient();

  const add = useCallback(
    (picked: File[]) => {
      setError(null);
      const room = MAX_FILES - files.length;
      if (picked.length > room) {
        setError({ message: `A message takes at most ${MAX_FILES} files`, hint: 'Send the rest in another message.' });
        picked = picked.slice(0, Math.max(0, room));
      }
      for (const file of picked) {
        if (file.size > MAX_FILE_BYTES) {
          setError({
            message: `${file.name} is ${formatBytes(file.size)}: attachments are limited to 20 MiB per file`,
            hint: 'Send a smaller file (a screenshot, or a compressed copy).',
          });
          continue;
        }
        counter.current += 1;
        const key = `a${counter.current}`;
        setFiles((list) => [...list, { key, name: file.name, size: file.size, uploading: true }]);
        // Multipart (FormData), sent unbatched through httpLink. The server's input type is Node's FormData
        // (undici), the same shape as the DOM's.
        const form = new FormData();
        form.set('workspaceId', workspaceId);
        form.set('file', file);
        type UploadInput = Parameters<typeof client.uploads.create.mutate>[0];
        client.uploads.create.mutate(form as unknown as UploadInput).then(
          (attachment) =>
            setFiles((list) =>
              list.map((f) =>
                f.key === key ? { ...f, id: attachment.id, name: attachment.name, uploading: false } : f,
              ),
            ),
          (e: unknown) => {
            setError(describeError(e));
            setFiles((list) => list.filter((f) => f.key !== key));
          },
        );
      }
    },
    [files.length, workspaceId, client],
  );
  const remove = useCallback((key: string) => setFiles((list) => list.filter((f) => f.key !== key)), []);
  const clear = useCallback(() => {
    setFiles([]);
    setError(null);
  }, []);
  return {
    files,
    error,
    uploading: files.some((f) => f.uploading),
    ids: files.flatMap((f) => (f.id ? [f.id] : [])),
    add,
    remove,
    clear,
  };
}

/** The paperclip beside the message box, and its hidden file input (a phone offers the camera and photos). */
export function AttachButton({ onFiles, disabled }: { onFiles: (files: File[]) => void; disabled?: boolean }) {
  const input = useRef<HTMLInputElement>(null);
  const onChange = (e: ChangeEvent<HTMLInputElement>) => {
    const picked = Array.from(e.target.files ?? []);
    e.target.value = ''; // picking the same file again still fires change
    if (picked.length > 0) onFiles(picked);
  };
  return (
    <>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        onChange={onChange}
        data-testid="chat-attach-input"
        tabIndex={-1}
        aria-hidden="true"
      />
      <IconButton
        label="Attach files"
        data-testid="chat-attach"
        disabled={disabled}
        onClick={() => input.current?.click()}
      >
        <PaperclipIcon width="18" height="18" />
      </IconButton>
    </>
  );
}

/** Picked files above the message box: name, size, a spinner while uploading, and remove. */
export function PickedFiles({
  files,
  error,
  onRemove,
}: {
  files: PickedFile[];
  error: { message: string; hint?: string } | null;
  onRemove: (key: string) => void;
}) {
  if (files.length === 0 && !error) return null;
  return (
    <div className="mx-auto mb-2 flex max-w-3xl flex-col gap-2">
      {error ? <ErrorNote error={error} testId="chat-attach-error" /> : null}
      {files.length > 0 ? (
        <ul className="flex flex-wrap gap-2" aria-label="Attached files">
          {files.map((f) => (
            <li
              key={f.key}
              className={cn(
                'flex min-h-touch items-center gap-2 rounded-md border border-border bg-bg-sunken pl-3 text-sm',
                'text-fg md:min-h-9',
              )}
              data-testid="chat-attachment-chip"
              data-uploaded={f.id ? 'true' : 'false'}
            >
              {f.uploading ? <Spinner /> : null}
              <span className="max-w-[12rem] truncate">{f.name}</span>
              <span className="text-xs text-fg-subtle">{formatBytes(f.size)}</span>
              <IconButton
                label={`Remove ${f.name}`}
                data-testid="chat-attachment-remove"
                onClick={() => onRemove(f.key)}
              >
                <span aria-hidden="true">×</span>
              </IconButton>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** What a sent message carried (its bubble shows them). */
export function MessageAttachments({ attachments }: { attachments: TranscriptAttachment[] }) {
  return (
    <ul
      className="flex flex-wrap justify-end gap-2 self-end"
      aria-label="Attachments"
      data-testid="chat-message-attachments"
    >
      {attachments.map((a) => (
        <li
          key={a.id}
          className="flex items-center gap-2 rounded-md border border-border bg-bg-sunken px-3 py-1.5 text-sm text-fg"
          data-testid="chat-message-attachment"
        >
          <PaperclipIcon width="18" height="18" />
          <span className="max-w-[14rem] truncate">{a.name}</span>
          <span className="text-xs text-fg-subtle">{formatBytes(a.size)}</span>
        </li>
      ))}
    </ul>
  );
}
