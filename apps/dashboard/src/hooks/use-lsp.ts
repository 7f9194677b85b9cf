'use client';
import { useEffect, useRef } from 'react';

/** Languages the server's LSP bridge knows, by file extension. */
const LANGUAGES: Record<string, string> = {
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'typescriptreact',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'javascriptreact',
};

export function lspLanguageOf(path: string): string | null {
  return LANGUAGES[path.split('.').pop()?.toLowerCase() ?? ''] ?? null;
}

type Pending = { resolve(value: unknown): void; reject(error: Error): void; timer: ReturnType<typeof setTimeout> };

export interface LspClient {
  hover(path: string, text: string, line: number, character: number): Promise<string | null>;
  definition(
    path: string,
    text: string,
    line: number,
    character: number,
  ): Promise<{ path: string; line: number } | null>;
  close(): void;
}

/**
 * A minimal LSP client over `/api/lsp/<workspaceId>/<language>` (JSON-RPC, one message per text frame):
 * initialize once, open documents on demand, then hover and go-to-definition. Results are untrusted text.
 */
export function createLspClient(workspaceId: string, language: string): LspClient {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = `${scheme}//${location.host}/api/lsp/${encodeURIComponent(workspaceId)}/${language}`;
  const ws = new WebSocket(url);
  const pending = new Map<number, Pending>();
  const opened = new Set<string>();
  let nextId = 1;
  let rootUri = '';
  let isClosed = false;

  const send = (message: object) => ws.send(JSON.stringify({ jsonrpc: '2.0', ...message }));
  const request = (method: string, params: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${method} timed out`));
      }, 20_000);
      pending.set(id, { resolve, reject, timer });
      send({ id, method, params });
    });

  const ready = new Promise<void>((resolve, reject) => {
    ws.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as {
        id?: number;
        method?: string;
        params?: { rootUri?: string };
        result?: unknown;
        error?: { message: string };
      };
      if (message.method === 'band/attached') {
        rootUri = message.params?.rootUri ?? '';
        request('initialize', {
          processId: null,
          rootUri,
          capabilities: { textDocument: { hover: { contentFormat: ['plaintext', 'markdown'] }, definition: {} } },
        })
          .then(() => {
            send({ method: 'initialized', params: {} });
            resolve();
          })
          .catch(reject);
        return;
      }
      if (message.method === 'band/serverRestarted') opened.clear();
      if (typeof message.id === 'number' && pending.has(message.id) && !message.method) {
        const p = pending.get(message.id)!;
        pending.delete(message.id);
        clearTimeout(p.timer);
        if (message.error) p.reject(new Error(message.error.message));
        else p.resolve(message.result);
      }
    };
    ws.onclose = () => {
      isClosed = true;
      reject(new Error('language server unavailable'));
      for (const p of pending.values()) p.reject(new Error('language server closed'));
      pending.clear();
    };
  });
  ready.catch(() => {});

  const open = async (path: string, text: string) => {
    await ready;
    const uri = `${rootUri}/${path}`;
    if (!opened.has(uri)) {
      opened.add(uri);
      send({
        method: 'textDocument/didOpen',
        params: { textDocument: { uri, languageId: lspLanguageOf(path) ?? language, version: 1, text } },
      });
    }
    return uri;
  };

  return {
    async hover(path, text, line, character) {
      if (isClosed) return null;
      const uri = await open(path, text);
      const result = (await request('textDocument/hover', {
        textDocument: { uri },
        position: { line, character },
      })) as { contents?: unknown } | null;
      return result?.contents ? hoverText(result.contents) : null;
    },
    async definition(path, text, line, character) {
      if (isClosed) return null;
      const uri = await open(path, text);
      const result = (await request('textDocument/definition', {
        textDocument: { uri },
        position: { line, character },
      })) as unknown;
      const first = (Array.isArray(result) ? result[0] : result) as
        | {
            uri?: string;
            targetUri?: string;
            range?: { start: { line: number } };
            targetSelectionRange?: { start: { line: number } };
          }
        | undefined;
      const target = first?.uri ?? first?.targetUri;
      const start = first?.range?.start ?? first?.targetSelectionRange?.start;
      // Definitions outside the worktree (node_modules typings are inside; lib.d.ts is not) cannot be opened.
      if (!target || !start || !target.startsWith(`${rootUri}/`)) return null;
      return { path: decodeURIComponent(target.slice(rootUri.length + 1)), line: start.line };
    },
    close() {
      isClosed = true;
      ws.close();
    },
  };
}

function hoverText(contents: unknown): string {
  if (typeof contents === 'string') return contents;
  if (Array.isArray(contents)) return contents.map(hoverText).filter(Boolean).join('\n\n');
  if (contents && typeof contents === 'object' && 'value' in contents)
    return String((contents as { value: unknown }).value);
  return '';
}

/** One LSP client per workspace and language while the viewer shows such a file. */
export function useLspClient(workspaceId: string, language: string | null): React.RefObject<LspClient | null> {
  const ref = useRef<LspClient | null>(null);
  useEffect(() => {
    if (!language) return;
    const client = createLspClient(workspaceId, language);
    ref.current = client;
    return () => {
      client.close();
      ref.current = null;
    };
  }, [workspaceId, language]);
  return ref;
}
