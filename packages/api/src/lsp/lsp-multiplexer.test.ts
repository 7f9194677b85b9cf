// The JSON-RPC multiplexer with no process: the server is a recorder of what would reach its stdin.
import { describe, expect, it } from 'vitest';
import { createLspMultiplexer, type JsonRpcMessage, LSP_ERROR } from './lsp-multiplexer.js';

/** Lets queued promise callbacks (the shared `initialize` answer) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup() {
  const state = { isRunning: true, isStopping: false, starts: 0 };
  const written: JsonRpcMessage[] = [];
  const mux = createLspMultiplexer({
    language: 'typescript',
    workspacePath: '/work/repo',
    initializationOptions: { preferences: { quoteStyle: 'single' }, tsserver: { logVerbosity: 'off' } },
    processId: 4242,
    server: {
      write(message) {
        if (!state.isRunning) return false;
        written.push(message);
        return true;
      },
      get isRunning() {
        return state.isRunning;
      },
      get isStopping() {
        return state.isStopping;
      },
      ensureStarted() {
        state.starts++;
      },
    },
  });
  const connect = () => {
    const sent: any[] = [];
    const closed: string[] = [];
    const handle = mux.attach({ send: (message) => sent.push(message), close: (reason) => closed.push(reason) });
    return { sent, closed, ...handle };
  };
  /** What reached the server, then forgets it. */
  const drain = () => written.splice(0);
  return { mux, state, written, connect, drain };
}

const request = (id: number | string, method: string, params: unknown = {}) => ({ jsonrpc: '2.0', id, method, params });
const notification = (method: string, params: unknown = {}) => ({ jsonrpc: '2.0', method, params });
const didOpen = (uri: string) => notification('textDocument/didOpen', { textDocument: { uri, text: '' } });
const didClose = (uri: string) => notification('textDocument/didClose', { textDocument: { uri } });

describe('createLspMultiplexer: request ids', () => {
  it('gives every client request a fresh server id and routes each answer back under the id the client used', () => {
    const { mux, connect, drain } = setup();
    const a = connect();
    const b = connect();
    const table: Array<{ client: typeof a; id: number | string }> = [
      { client: a, id: 1 },
      { client: b, id: 1 },
      { client: a, id: 'one' },
      { client: b, id: 0 },
    ];
    for (const row of table) row.client.receive(request(row.id, 'textDocument/hover'));
    const serverIds = drain().map((m) => m.id);
    expect(new Set(serverIds).size).toBe(table.length);
    // The server answers in reverse order; each client sees only its own answers, with its own ids.
    for (const serverId of [...serverIds].reverse())
      mux.handleServerMessage({ jsonrpc: '2.0', id: serverId, result: serverId });
    expect(a.sent).toEqual([
      { jsonrpc: '2.0', id: 'one', result: serverIds[2] },
      { jsonrpc: '2.0', id: 1, result: serverIds[0] },
    ]);
    expect(b.sent).toEqual([
      { jsonrpc: '2.0', id: 0, result: serverIds[3] },
      { jsonrpc: '2.0', id: 1, result: serverIds[1] },
    ]);
  });

  it('drops an answer nobody is waiting for, and one for a client that left (its request is cancelled)', () => {
    const { mux, connect, drain } = setup();
    const a = connect();
    const b = connect();
    a.receive(request(5, 'textDocument/definition'));
    const serverId = drain()[0]!.id;
    a.detach();
    expect(drain()).toEqual([notification('$/cancelRequest', { id: serverId })]);
    mux.handleServerMessage({ jsonrpc: '2.0', id: serverId, result: 'late' });
    mux.handleServerMessage({ jsonrpc: '2.0', id: 999, result: 'unknown' });
    expect(a.sent).toEqual([]);
    expect(b.sent).toEqual([]);
  });

  it("cancels by the server id, and only the cancelling client's own request", () => {
    const { connect, drain } = setup();
    const a = connect();
    const b = connect();
    a.receive(request(7, 'workspace/symbol'));
    b.receive(request(7, 'workspace/symbol'));
    const [first, second] = drain();
    b.receive(notification('$/cancelRequest', { id: 7 }));
    expect(drain()).toEqual([notification('$/cancelRequest', { id: second!.id })]);
    a.receive(notification('$/cancelRequest', { id: 8 }));
    expect(drain()).toEqual([]);
    expect(first!.id).not.toBe(second!.id);
  });

  it('answers every request in flight with an error when the server goes away', () => {
    const { mux, connect } = setup();
    const a = connect();
    a.receive(request(3, 'textDocument/completion'));
    mux.failPending('typescript language server crashed');
    expect(a.sent).toEqual([
      {
        jsonrpc: '2.0',
        id: 3,
        error: { code: LSP_ERROR.REQUEST_FAILED, message: 'typescript language server crashed' },
      },
    ]);
  });
});

describe('createLspMultiplexer: messages from the server', () => {
  it('broadcasts notifications to every client', () => {
    const { mux, connect } = setup();
    const clients = [connect(), connect(), connect()];
    const diagnostics = notification('textDocument/publishDiagnostics', {
      uri: 'file:///work/repo/a.ts',
      diagnostics: [],
    });
    mux.handleServerMessage(diagnostics);
    for (const client of clients) expect(client.sent).toEqual([diagnostics]);
  });

  it('sends a server request to the oldest client and its answer back under the server id', () => {
    const { mux, connect, drain } = setup();
    const a = connect();
    const b = connect();
    mux.handleServerMessage(request(40, 'workspace/configuration', { items: [] }));
    expect(a.sent).toEqual([request(40, 'workspace/configuration', { items: [] })]);
    expect(b.sent).toEqual([]);
    b.receive({ jsonrpc: '2.0', id: 40, result: ['from b'] }); // not b's to answer
    expect(drain()).toEqual([]);
    a.receive({ jsonrpc: '2.0', id: 40 }); // neither result nor error: answered "nothing"
    expect(drain()).toEqual([{ jsonrpc: '2.0', id: 40, result: null }]);
    a.receive({ jsonrpc: '2.0', id: 40, result: 'again' }); // answered once only
    expect(drain()).toEqual([]);
  });

  it('refuses a server request when no client is attached, or when the one asked leaves', () => {
    const { mux, connect, drain } = setup();
    mux.handleServerMessage(request(41, 'client/registerCapability'));
    expect(drain()).toEqual([
      { jsonrpc: '2.0', id: 41, error: { code: LSP_ERROR.REQUEST_FAILED, message: 'no client connected' } },
    ]);
    const a = connect();
    mux.handleServerMessage(request(42, 'window/workDoneProgress/create'));
    a.detach();
    expect(drain()).toEqual([
      { jsonrpc: '2.0', id: 42, error: { code: LSP_ERROR.REQUEST_FAILED, message: 'client disconnected' } },
    ]);
  });

  it('ignores what is not a JSON-RPC message', () => {
    const { mux, connect } = setup();
    const a = connect();
    for (const junk of [null, 42, 'text', { jsonrpc: '2.0' }]) mux.handleServerMessage(junk);
    expect(a.sent).toEqual([]);
  });
});

describe('createLspMultiplexer: open documents are counted per server', () => {
  type Step = [client: 'a' | 'b', action: 'open' | 'close' | 'detach', uri?: string];
  const X = 'file:///work/repo/x.ts';
  const Y = 'file:///work/repo/y.ts';
  const cases: Array<{ name: string; steps: Step[]; server: string[] }> = [
    {
      name: 'opened by two clients: opened once, closed when the last one closes it',
      steps: [
        ['a', 'open', X],
        ['b', 'open', X],
        ['a', 'close', X],
        ['b', 'close', X],
      ],
      server: [`open ${X}`, `close ${X}`],
    },
    {
      name: 'a close from a client that never opened it changes nothing',
      steps: [
        ['a', 'open', X],
        ['b', 'close', X],
        ['b', 'close', Y],
      ],
      server: [`open ${X}`],
    },
    {
      name: 'a client that leaves closes only what nobody else has open',
      steps: [
        ['a', 'open', X],
        ['a', 'open', Y],
        ['b', 'open', X],
        ['a', 'detach'],
        ['b', 'detach'],
      ],
      server: [`open ${X}`, `open ${Y}`, `close ${Y}`, `close ${X}`],
    },
    {
      name: 'closed then opened again: open, close, open',
      steps: [
        ['a', 'open', X],
        ['a', 'close', X],
        ['b', 'open', X],
      ],
      server: [`open ${X}`, `close ${X}`, `open ${X}`],
    },
  ];

  it.each(cases)('$name', ({ steps, server }) => {
    const { connect, drain } = setup();
    const clients = { a: connect(), b: connect() };
    for (const [name, action, uri] of steps) {
      if (action === 'open') clients[name].receive(didOpen(uri!));
      else if (action === 'close') clients[name].receive(didClose(uri!));
      else clients[name].detach();
    }
    const seen = drain().map(
      (m) => `${m.method === 'textDocument/didOpen' ? 'open' : 'close'} ${m.params.textDocument.uri}`,
    );
    expect(seen).toEqual(server);
  });

  it('a restarted server has no documents open: the next open reaches it', () => {
    const { mux, connect, drain } = setup();
    const a = connect();
    a.receive(didOpen(X));
    mux.resetForNewServer();
    connect().receive(didOpen(X));
    expect(drain().map((m) => m.method)).toEqual(['textDocument/didOpen', 'textDocument/didOpen']);
  });
});

describe('createLspMultiplexer: one initialize for every client', () => {
  it('initializes the server once with the workspace as its root, and shares the answer', async () => {
    const { mux, connect, drain } = setup();
    const a = connect();
    const b = connect();
    a.receive(
      request(1, 'initialize', {
        rootUri: 'file:///elsewhere',
        capabilities: { general: {} },
        initializationOptions: { preferences: { quoteStyle: 'double' } },
      }),
    );
    b.receive(request(9, 'initialize', { capabilities: {} }));
    const sent = drain();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      method: 'initialize',
      params: {
        processId: 4242,
        rootUri: 'file:///work/repo',
        rootPath: '/work/repo',
        workspaceFolders: [{ uri: 'file:///work/repo', name: 'repo' }],
        capabilities: { general: {} },
        // The client's keys win over the spec's defaults.
        initializationOptions: { preferences: { quoteStyle: 'double' }, tsserver: { logVerbosity: 'off' } },
      },
    });
    mux.handleServerMessage({ jsonrpc: '2.0', id: sent[0]!.id, result: { capabilities: { hoverProvider: true } } });
    await settle();
    expect(a.sent).toEqual([{ jsonrpc: '2.0', id: 1, result: { capabilities: { hoverProvider: true } } }]);
    expect(b.sent).toEqual([{ jsonrpc: '2.0', id: 9, result: { capabilities: { hoverProvider: true } } }]);

    a.receive(notification('initialized'));
    b.receive(notification('initialized'));
    await settle();
    expect(drain()).toEqual([notification('initialized')]);
  });

  it('does not keep a refused initialize: the next one is tried again', async () => {
    const { mux, connect, drain } = setup();
    const a = connect();
    a.receive(request(1, 'initialize'));
    const [first] = drain();
    const refusal = { code: -32603, message: 'bad options' };
    mux.handleServerMessage({ jsonrpc: '2.0', id: first!.id, error: refusal });
    await settle();
    expect(a.sent).toEqual([{ jsonrpc: '2.0', id: 1, error: refusal }]);
    a.receive(request(2, 'initialize'));
    expect(drain().map((m) => m.method)).toEqual(['initialize']);
  });

  it('answers shutdown itself and drops exit: one client leaving never stops the server for the others', () => {
    const { connect, drain } = setup();
    const a = connect();
    a.receive(request(4, 'shutdown'));
    a.receive(notification('exit'));
    expect(a.sent).toEqual([{ jsonrpc: '2.0', id: 4, result: null }]);
    expect(drain()).toEqual([]);
  });
});

describe('createLspMultiplexer: while the server restarts or stops', () => {
  it('refuses requests and drops notifications while restarting, and starts the server on use', () => {
    const { state, connect, drain } = setup();
    state.isRunning = false;
    const a = connect();
    a.receive(request(6, 'textDocument/hover'));
    a.receive(notification('workspace/didChangeConfiguration'));
    expect(a.sent).toEqual([
      {
        jsonrpc: '2.0',
        id: 6,
        error: { code: LSP_ERROR.SERVER_NOT_INITIALIZED, message: 'the typescript language server is restarting' },
      },
    ]);
    expect(drain()).toEqual([]);
    expect(state.starts).toBe(2);
  });

  it('an initialize sent during a restart is answered by the restarted server', async () => {
    const { mux, state, connect, drain } = setup();
    state.isRunning = false;
    const a = connect();
    a.receive(request(1, 'initialize'));
    state.isRunning = true;
    const answered = mux.reinitialize();
    const [init] = drain();
    expect(init).toMatchObject({ method: 'initialize', params: { rootUri: 'file:///work/repo' } });
    mux.handleServerMessage({ jsonrpc: '2.0', id: init!.id, result: { capabilities: {} } });
    expect((await answered)?.result).toEqual({ capabilities: {} });
    await settle();
    expect(a.sent).toEqual([{ jsonrpc: '2.0', id: 1, result: { capabilities: {} } }]);
    expect(drain()).toEqual([notification('initialized')]);
  });

  it('has nothing to re-initialize when no client ever initialized', () => {
    const { mux } = setup();
    expect(mux.reinitialize()).toBeUndefined();
  });

  it('a stopped server answers requests with an error, and an initialize still waiting gets one too', async () => {
    const { mux, state, connect } = setup();
    state.isRunning = false;
    const a = connect();
    a.receive(request(1, 'initialize'));
    state.isStopping = true;
    mux.failDeferredInitialize('typescript language server stopped');
    a.receive(request(2, 'textDocument/hover'));
    await settle();
    expect(a.sent).toEqual([
      {
        jsonrpc: '2.0',
        id: 2,
        error: { code: LSP_ERROR.REQUEST_FAILED, message: 'the typescript language server stopped' },
      },
      {
        jsonrpc: '2.0',
        id: 1,
        error: { code: LSP_ERROR.REQUEST_FAILED, message: 'typescript language server stopped' },
      },
    ]);
  });

  it('closeAll tells every client why and forgets them', () => {
    const { mux, connect } = setup();
    const a = connect();
    const b = connect();
    mux.closeAll('the typescript language server stopped');
    expect([a.closed, b.closed]).toEqual([
      ['the typescript language server stopped'],
      ['the typescript language server stopped'],
    ]);
    expect(mux.clientCount).toBe(0);
  });
});

describe('createLspMultiplexer: malformed client messages', () => {
  const cases: Array<{ name: string; message: unknown; reply: { id: unknown; message: string } }> = [
    {
      name: 'not an object',
      message: 'hover',
      reply: { id: null, message: 'expected one JSON-RPC message object per frame' },
    },
    {
      name: 'a batch (array)',
      message: [request(1, 'x')],
      reply: { id: null, message: 'expected one JSON-RPC message object per frame' },
    },
    {
      name: 'an id of another type',
      message: { jsonrpc: '2.0', id: { n: 1 }, method: 'x' },
      reply: { id: null, message: 'id must be a number or a string' },
    },
    {
      name: 'a method that is not a string',
      message: { jsonrpc: '2.0', id: 3, method: 7 },
      reply: { id: 3, message: 'method must be a string' },
    },
  ];
  it.each(cases)('$name is refused with INVALID_REQUEST and never reaches the server', ({ message, reply }) => {
    const { connect, drain } = setup();
    const a = connect();
    a.receive(message);
    expect(a.sent).toEqual([
      { jsonrpc: '2.0', id: reply.id, error: { code: LSP_ERROR.INVALID_REQUEST, message: reply.message } },
    ]);
    expect(drain()).toEqual([]);
  });

  it('a detached client is not heard any more', () => {
    const { connect, drain } = setup();
    const a = connect();
    expect(a.detach()).toBe(true);
    expect(a.detach()).toBe(false);
    a.receive(request(1, 'textDocument/hover'));
    expect(drain()).toEqual([]);
  });
});
