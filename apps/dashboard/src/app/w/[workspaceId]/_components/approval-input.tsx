'use client';
// What a tool asking for approval would do, in full: the command, the file and its change, the URL, else the JSON.
import { cn } from '@/lib/cn';
import { Markdown } from '@/lib/markdown';

/**
 * The colour of one line of a Codex patch: its unified diff for an update, the whole file for an add (every line is
 * new) or a delete (every line goes).
 */
function diffLineTone(line: string, kind: unknown): string {
  const added = 'bg-ok-soft text-ok';
  const removed = 'bg-danger-soft text-danger';
  if (kind === 'add') return added;
  if (kind === 'delete') return removed;
  if (line.startsWith('+') && !line.startsWith('+++')) return added;
  if (line.startsWith('-') && !line.startsWith('---')) return removed;
  return '';
}

/** An edit as removed lines then added lines (Claude Code's Edit / MultiEdit give the old and the new text). */
function editRows(edits: Array<{ old_string?: unknown; new_string?: unknown }>) {
  const result: Array<{ key: string; rows: Array<{ key: string; isAdded: boolean; text: string }> }> = [];
  for (const [i, edit] of edits.entries()) {
    const rows: Array<{ key: string; isAdded: boolean; text: string }> = [];
    for (const [j, text] of String(edit.old_string ?? '')
      .split('\n')
      .entries())
      rows.push({ key: `o${j}`, isAdded: false, text });
    for (const [j, text] of String(edit.new_string ?? '')
      .split('\n')
      .entries())
      rows.push({ key: `n${j}`, isAdded: true, text });
    result.push({ key: `e${i}`, rows });
  }
  return result;
}

const PRE = 'max-h-72 overflow-auto whitespace-pre-wrap break-all rounded bg-bg-sunken p-2 font-mono text-xs text-fg';

/**
 * What the tool would do: the command for Bash, the file and its change for edits (Claude Code's old/new text, Codex's
 * unified diffs), the URL for fetches, else the JSON.
 */
export function ApprovalInput({ input, root }: { input: unknown; root: string }) {
  const o = input && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  const relative = (p: string) => (p.startsWith(`${root}/`) ? p.slice(root.length + 1) : p);
  if (typeof o.command === 'string') {
    return (
      <div className="flex flex-col gap-1">
        {typeof o.description === 'string' ? <p className="text-fg-muted">{o.description}</p> : null}
        <pre className={PRE} data-testid="approval-command">
          $ {o.command}
        </pre>
      </div>
    );
  }
  const file =
    typeof o.file_path === 'string' ? o.file_path : typeof o.notebook_path === 'string' ? o.notebook_path : undefined;
  if (file) {
    const edits: Array<{ old_string?: unknown; new_string?: unknown }> = Array.isArray(o.edits)
      ? (o.edits as never[])
      : typeof o.old_string === 'string'
        ? [o]
        : [];
    return (
      <div className="flex flex-col gap-1">
        <p className="break-all font-mono text-xs text-fg" data-testid="approval-file">
          {relative(file)}
        </p>
        {typeof o.content === 'string' ? (
          <pre className={PRE} data-testid="approval-content">
            {o.content.length > 20_000
              ? `${o.content.slice(0, 20_000)}\n… (${o.content.length - 20_000} more characters)`
              : o.content}
          </pre>
        ) : null}
        {editRows(edits).map((edit) => (
          <pre key={edit.key} className={cn(PRE, 'p-0')} data-testid="approval-diff">
            {edit.rows.map((row) => (
              <span
                key={row.key}
                className={cn('block px-2', row.isAdded ? 'bg-ok-soft text-ok' : 'bg-danger-soft text-danger')}
              >
                {row.isAdded ? '+' : '-'}
                {row.text}
              </span>
            ))}
          </pre>
        ))}
      </div>
    );
  }
  if (Array.isArray(o.changes)) {
    // Codex's patch approvals: `{ changes: [{ path, kind: 'add' | 'delete' | 'update', diff }] }`, a unified diff each.
    const changes = (o.changes as Array<{ path?: unknown; kind?: unknown; diff?: unknown }>).filter(
      (c) => c && typeof c.path === 'string',
    );
    return (
      <div className="flex flex-col gap-2">
        {changes.map((change) => (
          // One entry per path in a patch.
          <div key={String(change.path)} className="flex flex-col gap-1">
            <p className="break-all font-mono text-xs text-fg" data-testid="approval-file">
              {relative(String(change.path))}
              {typeof change.kind === 'string' && change.kind !== 'update' ? (
                <span className="text-fg-muted">
                  {' '}
                  ({change.kind === 'add' ? 'new file' : change.kind === 'delete' ? 'deleted' : change.kind})
                </span>
              ) : null}
            </p>
            {typeof change.diff === 'string' && change.diff ? (
              <pre className={cn(PRE, 'p-0')} data-testid="approval-diff">
                {change.diff.split('\n').map((line, j) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: lines of one diff, in order, never reordered
                  <span key={j} className={cn('block px-2', diffLineTone(line, change.kind))}>
                    {line || ' '}
                  </span>
                ))}
              </pre>
            ) : null}
          </div>
        ))}
      </div>
    );
  }
  if (typeof o.plan === 'string') {
    return (
      <div
        className="max-h-96 overflow-auto rounded bg-bg-sunken p-3 text-[15px] leading-relaxed"
        data-testid="approval-plan"
      >
        <Markdown text={o.plan} />
      </div>
    );
  }
  if (typeof o.url === 'string') {
    return (
      <div className="flex flex-col gap-1">
        <p className="break-all font-mono text-xs text-fg" data-testid="approval-url">
          {o.url}
        </p>
        {typeof o.prompt === 'string' ? <p className="text-fg-muted">{o.prompt}</p> : null}
      </div>
    );
  }
  return <pre className={PRE}>{JSON.stringify(input, null, 2)}</pre>;
}
