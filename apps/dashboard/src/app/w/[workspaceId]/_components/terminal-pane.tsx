'use client';
import { useEffect, useRef, useState } from 'react';
import '@xterm/xterm/css/xterm.css';
import { ErrorNote } from '@/components/ui/error-note';
import { Button } from '@/components/ui/button';
import { Spinner } from '@/components/ui/spinner';
import { describeError, getBandClient } from '@/lib/trpc';
import type { Workspace } from '@/lib/types';

type TermState = 'connecting' | 'starting' | 'open' | 'reconnecting' | 'exited' | 'error';

/**
 * xterm.js on `/api/terminals/<id>`: binary output frames, JSON `input`/`resize` messages, scrollback replayed
 * on attach. The PTY outlives this view, so a dropped socket just reattaches.
 */
export function TerminalPane({ workspace }: { workspace: Workspace }) {
  const host = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<TermState>('connecting');
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  const [generation, setGeneration] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new generation (New terminal) reconnects afresh
  useEffect(() => {
    let isDisposed = false;
    let ws: WebSocket | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    const cleanups: Array<() => void> = [];
    (async () => {
      const [{ Terminal }, { FitAddon }] = await Promise.all([import('@xterm/xterm'), import('@xterm/addon-fit')]);
      if (isDisposed || !host.current) return;
      const styles = getComputedStyle(document.documentElement);
      const term = new Terminal({
        fontFamily: styles.getPropertyValue('--font-mono'),
        fontSize: 13,
        cursorBlink: true,
        theme: {
          background: styles.getPropertyValue('--bg-sunken').trim(),
          foreground: styles.getPropertyValue('--fg').trim(),
        },
      });
      const fit = new FitAddon();
      term.loadAddon(fit);
      term.open(host.current);
      fit.fit();
      cleanups.push(() => term.dispose());

      const { client } = getBandClient();
      let id: string;
      try {
        const existing = await client.terminals.list.query({ workspaceId: workspace.id });
        id =
          existing.find((t) => t.status === 'running')?.id ??
          (await client.terminals.create.mutate({ workspaceId: workspace.id, cols: term.cols, rows: term.rows })).id;
      } catch (e) {
        setError(describeError(e));
        setState('error');
        return;
      }
      const send = (message: unknown) => {
        if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
      };
      // Keys typed while the socket (re)connects are sent once it is open, not dropped.
      let unsent = '';
      const onData = term.onData((data) => {
        if (ws?.readyState === WebSocket.OPEN) send({ type: 'input', data });
        else unsent += data;
      });
      const onResize = term.onResize(({ cols, rows }) => send({ type: 'resize', cols, rows }));
      cleanups.push(
        () => onData.dispose(),
        () => onResize.dispose(),
      );
      const observer = new ResizeObserver(() => fit.fit());
      observer.observe(host.current);
      cleanups.push(() => observer.disconnect());

      const connect = () => {
        if (isDisposed) return;
        const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
        const url = `${scheme}//${location.host}/api/terminals/${encodeURIComponent(id)}`;
        ws = new WebSocket(url);
        ws.binaryType = 'arraybuffer';
        let hasExited = false;
        let hasOutput = false;
        ws.onopen = () => {
          attempt = 0;
          term.reset();
          // Until the shell prints its prompt, say it is starting (a blank pane looks broken).
          setState('starting');
          send({ type: 'resize', cols: term.cols, rows: term.rows });
          if (unsent) send({ type: 'input', data: unsent });
          unsent = '';
        };
        ws.onmessage = (event) => {
          if (event.data instanceof ArrayBuffer) {
            term.write(new Uint8Array(event.data));
            if (!hasOutput) {
              hasOutput = true;
              setState('open');
            }
          } else {
            const message = JSON.parse(String(event.data)) as { type: string; message?: string };
            if (message.type === 'exit') {
              hasExited = true;
              setState('exited');
            } else if (message.type === 'error') setError({ message: message.message ?? 'Terminal error' });
          }
        };
        ws.onclose = (event) => {
          if (isDisposed || hasExited) return;
          if (event.code === 4404) {
            setState('exited');
            return;
          }
          setState('reconnecting');
          retry = setTimeout(connect, Math.min(10_000, 500 * 2 ** attempt++));
        };
      };
      connect();
      term.focus();
    })();
    return () => {
      isDisposed = true;
      clearTimeout(retry);
      ws?.close();
      for (const fn of cleanups.reverse()) fn();
    };
  }, [workspace.id, generation]);

  return (
    <div className="flex min-h-0 flex-1 flex-col bg-bg-sunken" data-testid="terminal-pane" data-state={state}>
      {state !== 'open' ? (
        <div className="flex items-center gap-2 border-b border-border px-3 py-1.5 text-xs text-fg-muted">
          {state === 'connecting' || state === 'starting' || state === 'reconnecting' ? <Spinner size="sm" /> : null}
          {
            {
              connecting: 'Connecting…',
              starting: 'Starting the shell…',
              reconnecting: 'Reconnecting…',
              exited: 'The shell exited.',
              error: 'Could not open a terminal.',
              open: '',
            }[state]
          }
          {state === 'exited' || state === 'error' ? (
            <Button
              size="sm"
              variant="ghost"
              onClick={() => setGeneration((g) => g + 1)}
              data-testid="terminal-restart"
            >
              New terminal
            </Button>
          ) : null}
        </div>
      ) : null}
      {error ? (
        <div className="p-2">
          <ErrorNote error={error} testId="terminal-error" />
        </div>
      ) : null}
      <div ref={host} className="min-h-0 flex-1 p-2" data-testid="terminal" />
    </div>
  );
}
