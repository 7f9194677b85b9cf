import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { BandApiError } from '../src/errors.js';
import { createMessageReader, encodeMessage, type FramingError } from '../src/lsp/content-length.js';
import { nextRestartDelay } from '../src/lsp/language-server.js';
import { createLspService, type LspServiceOptions } from '../src/lsp/lsp-service.js';
import { isProcessAlive, listProcessTree } from '../src/internal/process-tree.js';
import { createSocketBudget, SOCKET_CLOSE } from '../src/internal/socket-caps.js';
import { createLspSocketRoute } from '../src/lsp/lsp-socket.js';
import { connect, type RecordingSocket, startTestServer, tempDir, waitFor } from './helpers.js';

const FAKE_SERVER = fileURLToPath(new URL('./fixtures/fake-language-server.mjs', import.meta.url));

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('Content-Length framing', () => {
  const messages = [
    { jsonrpc: '2.0', id: 1, method: 'initialize', params: { text: 'héllo wörld — ✓ 𝄞' } },
    { jsonrpc: '2.0', method: 'textDocument/didOpen', params: { text: 'x'.repeat(300) } },
    { jsonrpc: '2.0', id: 'abc', result: null },
  ];
  const stream = Buffer.concat(messages.map(encodeMessage));

  it('parses the same messages however the stream is split into two or three chunks', () => {
    for (let i = 0; i <= stream.length; i++) {
      const j = Math.min(stream.length, i + 7);
      const got: unknown[] = [];
      const errors: FramingError[] = [];
      const reader = createMessageReader({ onMessage: (m) => got.push(m), onError: (e) => errors.push(e) });
      reader.push(stream.subarray(0, i));
      reader.push(stream.subarray(i, j));
      reader.push(stream.subarray(j));
      expect(errors).toEqual([]);
      expect(got).toEqual(messages);
    }
  });

  it('parses a stream fed one byte at a time, with extra headers in any case', () => {
    const body = Buffer.from(JSON.stringify({ id: 7, ok: '✓' }));
    const framed = Buffer.concat([
      Buffer.from(`content-type: application/vscode-jsonrpc; charset=utf-8\r\nCONTENT-LENGTH: ${body.length}\r\n\r\n`),
      body,
    ]);
    const got: unknown[] = [];
    const reader = createMessageReader({ onMessage: (m) => got.push(m) });
    for (const byte of Buffer.concat([framed, framed])) reader.push(Buffer.from([byte]));
    expect(got).toEqual([
      { id: 7, ok: '✓' },
      { id: 7, ok: '✓' },
    ]);
  });

  it('reports malformed frames and carries on with the next one', () => {
    const good = encodeMessage({ id: 1 });
    const got: unknown[] = [];
    const errors: string[] = [];
    const reader = createMessageReader({
      onMessage: (m) => got.push(m),
      onError: (e) => errors.push(e.code),
      maxMessageBytes: 100,
      maxHeaderBytes: 64,
    });
    reader.push(Buffer.from('Content-Length: abc\r\n\r\n'));
    reader.push(good);
    reader.push(Buffer.from('X-Other: 1\r\n\r\n'));
    reader.push(Buffer.from('garbage line without colon\r\n\r\n'));
    reader.push(good);
    reader.push(Buffer.from('Content-Length: 5\r\n\r\n{nope'));
    reader.push(good);
    reader.push(Buffer.concat([Buffer.from('Content-Length: 500\r\n\r\n'), Buffer.alloc(500, 0x7b)]));
    reader.push(good);
    reader.push(Buffer.from('Content-Length: 99999999999999999999\r\n\r\n'));
    reader.push(good);
    reader.push(Buffer.alloc(200, 0x41));
    reader.push(Buffer.from('\r\n\r\n'));
    reader.push(good);
    expect(errors).toEqual([
      'BAD_HEADER',
      'BAD_HEADER',
      'BAD_HEADER',
      'BAD_JSON',
      'MESSAGE_TOO_LARGE',
      'BAD_HEADER',
      'HEADER_TOO_LONG',
      'BAD_HEADER',
    ]);
    expect(got).toEqual([{ id: 1 }, { id: 1 }, { id: 1 }, { id: 1 }, { id: 1 }, { id: 1 }]);
  });
});

describe('nextRestartDelay', () => {
  it.each([
    [0, 500],
    [1, 1000],
    [3, 4000],
    [4, 8000],
    [5, undefined],
  ])('attempt %i → %s ms', (attempt, delay) => {
    expect(nextRestartDelay(attempt)).toBe(delay);
  });
  it('caps the delay', () => {
    expect(nextRestartDelay(9, { baseMs: 1000, maxMs: 5000, maxRestarts: 20 })).toBe(5000);
  });
});

async function setup(overrides: Partial<LspServiceOptions> = {}) {
  const dir = await tempDir('band-lsp-');
  cleanups.push(() => dir[Symbol.asyncDispose]());
  const workspace = path.join(dir.path, 'worktree');
  await mkdir(workspace, { recursive: true });
  const lsp = createLspService({
    resolveWorkspacePath: async (id) => {
      if (id !== 'ws_test') throw new BandApiError('NOT_FOUND', `workspace not found: ${id}`);
      return workspace;
    },
    languages: {
      fake: { command: process.execPath, args: [FAKE_SERVER] },
      fake2: { id: 'fake', command: process.execPath, args: [FAKE_SERVER] },
    },
    restartBaseMs: 10,
    ...overrides,
  });
  cleanups.push(() => lsp.close());
  const server = await startTestServer([createLspSocketRoute({ lsp, sockets: createSocketBudget() })]);
  cleanups.push(() => server.close());
  return { lsp, server, workspace, dir: dir.path };
}

/** Sends a request and waits for the response with that id. */
async function request(
  socket: RecordingSocket,
  id: number | string,
  method: string,
  params?: unknown,
): Promise<Record<string, any>> {
  socket.sendJson({ jsonrpc: '2.0', id, method, params });
  let response: Record<string, any> | undefined;
  await waitFor(
    () => {
      response = socket.messages.find((m) => m.id === id && m.method === undefined);
      if (!response) throw new Error(`no response to ${method} #${id}`);
    },
    { timeout: 60_000, interval: 20 },
  );
  socket.messages.splice(socket.messages.indexOf(response!), 1);
  return response!;
}

describe('language servers over /api/lsp/<workspaceId>/<language>', () => {
  it('shares one server between clients, routing responses by rewritten ids', async () => {
    const { server, lsp, workspace } = await setup();
    const a = connect(server.wsUrl('/api/lsp/ws_test/fake'));
    const b = connect(server.wsUrl('/api/lsp/ws_test/fake2'));
    await Promise.all([a.opened, b.opened]);
    const init = await request(a, 1, 'initialize', { processId: 4242, rootUri: 'file:///elsewhere', capabilities: {} });
    expect(init.result.capabilities).toEqual({ hoverProvider: true });
    expect(a.messages.find((m) => m.method === 'band/attached')?.params).toEqual({
      workspaceId: 'ws_test',
      language: 'fake',
      rootUri: pathToFileURL(workspace).href,
    });
    const initB = await request(b, 1, 'initialize', { capabilities: {} });
    expect(initB.result).toEqual(init.result);
    a.sendJson({ jsonrpc: '2.0', method: 'initialized', params: {} });
    b.sendJson({ jsonrpc: '2.0', method: 'initialized', params: {} });

    // Same id from both clients, answered to each with their own params.
    const [ra, rb] = await Promise.all([
      request(a, 5, 'test/echo', { from: 'a' }),
      request(b, 5, 'test/echo', { from: 'b' }),
    ]);
    expect(ra.result.params).toEqual({ from: 'a' });
    expect(rb.result.params).toEqual({ from: 'b' });
    expect(ra.result.serverSideId).not.toBe(rb.result.serverSideId);
    expect(a.messages.filter((m) => m.id === 5)).toEqual([]);

    const stats = (await request(a, 'stats', 'test/stats')).result;
    expect(stats.initializeCount).toBe(1);
    expect(stats.notifications.filter((n: string) => n === 'initialized')).toHaveLength(1);
    // The server works in the worktree and dies with Band, whatever the client claimed.
    expect(stats.initializeParams.rootUri).toBe(pathToFileURL(workspace).href);
    expect(stats.initializeParams.processId).toBe(process.pid);
    expect(lsp.list()).toEqual([
      { workspaceId: 'ws_test', server: 'fake', pid: stats.pid, clients: 2, pendingBytes: 0 },
    ]);
  });

  it('broadcasts server notifications, sends server requests to one client and relays its answer', async () => {
    const { server } = await setup();
    const a = connect(server.wsUrl('/api/lsp/ws_test/fake'));
    await a.opened;
    await request(a, 1, 'initialize', { capabilities: {} });
    const b = connect(server.wsUrl('/api/lsp/ws_test/fake'));
    await request(b, 1, 'initialize', { capabilities: {} });
    await request(a, 2, 'test/notify', { n: 1 });
    await waitFor(() => expect(b.messages.find((m) => m.method === '$/progress')?.params.value).toEqual({ n: 1 }));

    b.sendJson({ jsonrpc: '2.0', id: 3, method: 'test/askClient' });
    let ask: Record<string, any> | undefined;
    await waitFor(() => {
      ask = a.messages.find((m) => m.method === 'workspace/configuration');
      expect(ask).toBeDefined();
    });
    expect(b.messages.find((m) => m.method === 'workspace/configuration')).toBeUndefined();
    a.sendJson({ jsonrpc: '2.0', id: ask!.id, result: [{ answer: 42 }] });
    await waitFor(() => expect(b.messages.find((m) => m.id === 3)?.result.result).toEqual([{ answer: 42 }]));
  });

  it('opens a document once for the server and closes it when its last client leaves', async () => {
    const { server } = await setup();
    const a = connect(server.wsUrl('/api/lsp/ws_test/fake'));
    const b = connect(server.wsUrl('/api/lsp/ws_test/fake'));
    await request(a, 1, 'initialize', {});
    await request(b, 1, 'initialize', {});
    const open = (s: RecordingSocket, uri: string) =>
      s.sendJson({
        jsonrpc: '2.0',
        method: 'textDocument/didOpen',
        params: { textDocument: { uri, languageId: 'ts', version: 1, text: '' } },
      });
    // A request round trip after each step: messages from different sockets have no order of their own.
    let n = 100;
    const flush = (s: RecordingSocket) => request(s, n++, 'test/echo');
    open(a, 'file:///x.ts');
    await flush(a);
    open(b, 'file:///x.ts');
    open(b, 'file:///y.ts');
    await flush(b);
    a.sendJson({ jsonrpc: '2.0', method: 'textDocument/didClose', params: { textDocument: { uri: 'file:///x.ts' } } });
    await flush(a);
    b.ws.close();
    await b.closed;
    await waitFor(async () => {
      const stats = (await request(a, `s${Math.random()}`, 'test/stats')).result;
      expect(stats.notifications.filter((n: string) => n.startsWith('textDocument/'))).toEqual([
        'textDocument/didOpen file:///x.ts',
        'textDocument/didOpen file:///y.ts',
        'textDocument/didClose file:///x.ts',
        'textDocument/didClose file:///y.ts',
      ]);
    });
  });

  it('restarts a crashed server with backoff, fails its pending requests and tells the clients', async () => {
    const { server, lsp } = await setup();
    const a = connect(server.wsUrl('/api/lsp/ws_test/fake'));
    await request(a, 1, 'initialize', { capabilities: {} });
    a.sendJson({ jsonrpc: '2.0', method: 'initialized', params: {} });
    const firstPid = lsp.list()[0]!.pid!;
    a.sendJson({ jsonrpc: '2.0', id: 2, method: 'test/slow' });
    a.sendJson({ jsonrpc: '2.0', id: 3, method: 'test/crash' });
    await waitFor(() => expect(a.messages.find((m) => m.id === 2)?.error.message).toMatch(/crashed/));
    await waitFor(() =>
      expect(a.messages.find((m) => m.method === 'window/showMessage')?.params.message).toMatch(/crashed.*restarting/),
    );
    await waitFor(() =>
      expect(a.messages.find((m) => m.method === 'band/serverRestarted')?.params).toMatchObject({
        language: 'fake',
        ok: true,
      }),
    );
    const stats = (await request(a, 4, 'test/stats')).result;
    expect(stats.pid).not.toBe(firstPid);
    // Re-initialized by the bridge with the first client's parameters.
    expect(stats.initializeCount).toBe(1);
    expect(stats.notifications).toContain('initialized');
    await waitFor(() => expect(isProcessAlive(firstPid)).toBe(false));
  });

  it('gives up after repeated crashes and closes the clients', async () => {
    const { server } = await setup({ maxRestarts: 1 });
    const a = connect(server.wsUrl('/api/lsp/ws_test/fake'));
    await request(a, 1, 'initialize', {});
    a.sendJson({ jsonrpc: '2.0', id: 2, method: 'test/crash' });
    await waitFor(() => expect(a.messages.some((m) => m.method === 'band/serverRestarted')).toBe(true));
    a.sendJson({ jsonrpc: '2.0', id: 3, method: 'test/crash' });
    expect(await a.closed).toMatchObject({ code: SOCKET_CLOSE.NORMAL, reason: expect.stringMatching(/stopped/) });
    expect(a.messages.find((m) => m.method === 'band/serverStopped')?.params).toMatchObject({ reason: 'crashed' });
  });

  it('stops an idle server once its last socket closes, and starts a new one on next use', async () => {
    const { server, lsp } = await setup({ idleTimeoutMs: 50 });
    const a = connect(server.wsUrl('/api/lsp/ws_test/fake'));
    await request(a, 1, 'initialize', {});
    const pid = lsp.list()[0]!.pid!;
    a.ws.close();
    await waitFor(() => expect(isProcessAlive(pid)).toBe(false));
    await waitFor(() => expect(lsp.list()).toEqual([]));
    const b = connect(server.wsUrl('/api/lsp/ws_test/fake'));
    await request(b, 1, 'initialize', {});
    expect(lsp.list()[0]!.pid).not.toBe(pid);
  });

  it("a server that stops reading its input slows the flooding client down instead of filling Band's memory; " +
    'nothing is lost', async () => {
    const { server, lsp } = await setup({ maxPendingBytes: 2 * 1024 * 1024 });
    const a = connect(server.wsUrl('/api/lsp/ws_test/fake'));
    await a.opened;
    await request(a, 1, 'initialize', { capabilities: {} });
    expect((await request(a, 2, 'test/stall')).result).toBe('stalled');
    // 48 notifications of 1 MiB each: far more than the server's pipe and the 2 MiB allowance.
    const blob = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 48; i++) a.sendJson({ jsonrpc: '2.0', method: 'test/blob', params: { i, blob } });
    // Band stops reading the socket: what the client sent waits on the client's side (and in TCP), not in Band.
    // Wait until the client's send buffer stops shrinking for a second, then look at what Band holds.
    let last = Number.POSITIVE_INFINITY;
    await waitFor(
      async () => {
        const now = a.ws.bufferedAmount;
        const shrank = now < last;
        last = now;
        expect(shrank).toBe(false);
      },
      { timeout: 60_000, interval: 1_000 },
    );
    const held = lsp.list()[0]!.pendingBytes;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(4 * 1024 * 1024); // the 2 MiB allowance, plus the message that crossed it
    expect(a.ws.bufferedAmount).toBeGreaterThan(16 * 1024 * 1024); // the rest waits on the client's side
    // The server catches up: every notification reaches it, in full.
    const [info] = lsp.list();
    process.kill(info!.pid!, 'SIGUSR2');
    await waitFor(() => expect(a.ws.bufferedAmount).toBe(0), { timeout: 60_000 });
    expect((await request(a, 3, 'test/blobCount')).result).toBe(48);
    expect(lsp.list()[0]?.pid).toBe(info!.pid); // the same server throughout
  }, 120_000);

  it('refuses unknown languages and workspaces, and answers malformed frames with JSON-RPC errors', async () => {
    const { server } = await setup();
    for (const p of [
      '/api/lsp/ws_test/cobol',
      '/api/lsp/ws_test/__proto__',
      '/api/lsp/ws_test/constructor',
      '/api/lsp/ws_nope/fake',
    ]) {
      const s = connect(server.wsUrl(p));
      expect(await s.closed).toMatchObject({ code: SOCKET_CLOSE.NOT_FOUND });
    }
    const a = connect(server.wsUrl('/api/lsp/ws_test/fake'));
    await a.opened;
    a.ws.send('{not json');
    a.ws.send('[1,2]');
    a.ws.send(JSON.stringify({ jsonrpc: '2.0', id: { x: 1 }, method: 'x' }));
    a.ws.send(Buffer.from('{}'), { binary: true });
    await waitFor(() =>
      expect(a.messages.filter((m) => m.error).map((m) => m.error.code)).toEqual(
        expect.arrayContaining([-32700, -32600, -32600, -32600]),
      ),
    );
    // Shutdown from one client is answered by the bridge; the server keeps running.
    expect((await request(a, 9, 'shutdown')).result).toBeNull();
    expect((await request(a, 10, 'test/echo', 1)).result.params).toBe(1);
  });

  it('closing the service stops every server', async () => {
    const { server, lsp } = await setup();
    const a = connect(server.wsUrl('/api/lsp/ws_test/fake'));
    await request(a, 1, 'initialize', {});
    const pid = lsp.list()[0]!.pid!;
    await lsp.close();
    expect(isProcessAlive(pid)).toBe(false);
    expect(lsp.list()).toEqual([]);
  });
});

describe('one server per workspace (issue 16, finding 10)', () => {
  it('the id, an id prefix and the branch of one workspace share one server process', async () => {
    const { lsp, workspace } = await setup({
      // What the Band server resolves: every name of the workspace to its id and worktree.
      resolveWorkspacePath: async (ref) => {
        if (!['ws_0123456789', 'ws_0123', 'feat/login'].includes(ref))
          throw new BandApiError('NOT_FOUND', `workspace not found: ${ref}`);
        return { id: 'ws_0123456789', path: workspace };
      },
    });
    const peer = { send: () => {} };
    const attached = await Promise.all(
      ['ws_0123456789', 'ws_0123', 'feat/login'].map((ref) => lsp.connect(ref, 'fake', peer)),
    );
    expect(attached.map((a) => a.info.workspaceId)).toEqual(['ws_0123456789', 'ws_0123456789', 'ws_0123456789']);
    await waitFor(() => expect(lsp.list().every((s) => s.pid !== undefined)).toBe(true));
    expect(lsp.list()).toHaveLength(1);
    expect(lsp.list()[0]).toMatchObject({ workspaceId: 'ws_0123456789', clients: 3 });
    for (const { handle } of attached) handle.detach();
  });

  it('a resolver that returns only a path keys servers by the real worktree path', async () => {
    const { lsp, workspace, dir } = await setup();
    const alias = path.join(dir, 'alias');
    await symlink(workspace, alias);
    const lspByPath = createLspService({
      resolveWorkspacePath: async (ref) => (ref === 'one-name' ? workspace : alias),
      languages: { fake: { command: process.execPath, args: [FAKE_SERVER] } },
    });
    cleanups.push(() => lspByPath.close());
    expect(lsp.list()).toHaveLength(0);
    const peer = { send: () => {} };
    const a = await lspByPath.connect('one-name', 'fake', peer);
    const b = await lspByPath.connect('other-name', 'fake', peer);
    expect(lspByPath.list()).toHaveLength(1);
    a.handle.detach();
    b.handle.detach();
  });

  it('starts the server without the BAND_* variables of the Band process (BAND_TOKEN...)', async () => {
    const { server } = await setup({
      env: { ...process.env, BAND_TOKEN: 'f'.repeat(64), BAND_HOME: '/tmp/x', KEEP_ME: '1' },
    });
    const client = connect(server.wsUrl('/api/lsp/ws_test/fake'));
    await client.opened;
    const names = (await request(client, 1, 'test/envNames')).result as string[];
    expect(names.filter((n) => /^band_/i.test(n))).toEqual([]);
    expect(names).toContain('KEEP_ME');
  });
});

describe('typescript-language-server through the socket', () => {
  it('answers initialize and hover for a file in a real git worktree, and leaves nothing behind on close', async () => {
    const dir = await tempDir('band-lsp-ts-');
    cleanups.push(() => dir[Symbol.asyncDispose]());
    const repo = path.join(dir.path, 'repo');
    const worktree = path.join(dir.path, 'worktrees', 'feat');
    await mkdir(path.join(repo, 'src'), { recursive: true });
    const source =
      'export function add(a: number, b: number): number {\n  return a + b;\n}\nexport const total = add(1, 2);\n';
    await writeFile(path.join(repo, 'src', 'math.ts'), source);
    await writeFile(
      path.join(repo, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022' } }),
    );
    const git = (cwd: string, ...args: string[]) =>
      execFileSync('git', args, {
        cwd,
        stdio: 'pipe',
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@t',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@t',
        },
      });
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'init');
    git(repo, 'worktree', 'add', '-q', '-b', 'feat', worktree);

    const lsp = createLspService({ resolveWorkspacePath: async () => worktree });
    cleanups.push(() => lsp.close());
    const server = await startTestServer([createLspSocketRoute({ lsp, sockets: createSocketBudget() })]);
    cleanups.push(() => server.close());

    const client = connect(server.wsUrl('/api/lsp/ws_1/typescript'));
    await client.opened;
    const init = await request(client, 1, 'initialize', {
      processId: null,
      rootUri: null,
      capabilities: { textDocument: { hover: { contentFormat: ['markdown', 'plaintext'] } } },
    });
    expect(init.error).toBeUndefined();
    expect(init.result.capabilities.hoverProvider).toBe(true);
    client.sendJson({ jsonrpc: '2.0', method: 'initialized', params: {} });
    const attached = client.messages.find((m) => m.method === 'band/attached')!;
    const uri = `${attached.params.rootUri}/src/math.ts`;
    const text = await readFile(path.join(worktree, 'src', 'math.ts'), 'utf8');
    client.sendJson({
      jsonrpc: '2.0',
      method: 'textDocument/didOpen',
      params: { textDocument: { uri, languageId: 'typescript', version: 1, text } },
    });
    // Hover over `add` in `add(1, 2)` on line 3.
    const hover = await request(client, 2, 'textDocument/hover', {
      textDocument: { uri },
      position: { line: 3, character: 22 },
    });
    expect(JSON.stringify(hover.result.contents)).toContain('function add(a: number, b: number): number');

    const [info] = lsp.list();
    const tree = listProcessTree(info!.pid!) ?? [];
    expect(tree.length).toBeGreaterThanOrEqual(2); // the language server and its tsserver
    // It runs with a temp folder of its own (typescript-language-server leaves one folder per start in TMPDIR).
    const environ = readFileSync(`/proc/${info!.pid}/environ`, 'utf8').split('\0');
    const ownTmp = environ.find((v) => v.startsWith('TMPDIR='))!.slice('TMPDIR='.length);
    // Named after its owner: swept if it is killed.
    expect(path.basename(ownTmp)).toMatch(new RegExp(`^band-lsp-${process.pid}-`));
    expect(path.dirname(ownTmp)).toBe(tmpdir());
    await lsp.close();
    await waitFor(() => expect(tree.filter(isProcessAlive)).toEqual([]));
    expect(existsSync(ownTmp)).toBe(false);
  }, 120_000);
});

describe('temp folders of a server that was killed', () => {
  it("the next server removes a language server's temp folder whose Band process is gone, and only that", async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid; // a Band that was SIGKILLed
    const orphan = path.join(tmpdir(), `band-lsp-${dead}-AbC123`);
    const live = path.join(tmpdir(), `band-lsp-${process.ppid}-XyZ789`); // a running Band's
    await mkdir(orphan);
    await mkdir(live);
    cleanups.push(
      () => rm(live, { recursive: true, force: true }),
      () => rm(orphan, { recursive: true, force: true }),
    );
    await setup();
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });
});

describe('language servers that cannot run', () => {
  it('tells the client and closes the socket when the server binary does not exist', async () => {
    const { server } = await setup({
      languages: { ghost: { command: '/nonexistent/band-language-server', args: ['--stdio'] } },
      maxRestarts: 1,
      restartBaseMs: 300,
    });
    const a = connect(server.wsUrl('/api/lsp/ws_test/ghost'));
    await waitFor(() => expect(a.messages.find((m) => m.method === 'band/attached')).toBeDefined());
    a.sendJson({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });
    expect(await a.closed).toMatchObject({ code: SOCKET_CLOSE.NORMAL });
    expect(a.messages.find((m) => m.id === 1)?.error).toBeDefined();
    expect(
      a.messages
        .filter((m) => m.method === 'window/showMessage')
        .map((m) => m.params.message)
        .join('\n'),
    ).toMatch(/ENOENT/);
    expect(a.messages.find((m) => m.method === 'band/serverStopped')).toBeDefined();
  });
});
