// The terminal and language-server endpoints behind the real gate and createBandApi, the way the Band server
// composes them: HTTP tRPC with a bearer token, WebSockets with bearer + exact Origin.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdir, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bearerHeader, createTestGate, type TestGate } from '@band/auth/testing';
import { type FakeEdge, fakeCloudflaredEnv, fakeCloudflaredPath, startFakeEdge } from '@band/tunnel/testing';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type BandApi, createBandApi } from '../src/create-band-api.js';
import { isProcessAlive, listProcessTree } from '../src/internal/process-tree.js';
import { connect, listenLoopback, type RecordingSocket, waitFor } from './helpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Harness {
  api: BandApi;
  testGate: TestGate;
  origin: string;
  wsBase: string;
  workspace: string;
  workspaceId: string;
  trpc(procedure: string, input: unknown, kind?: 'query' | 'mutation'): Promise<{ status: number; body: any }>;
  socket(pathname: string, headers?: Record<string, string>): RecordingSocket;
}

async function startBand(options: { edge?: FakeEdge } = {}): Promise<Harness> {
  const testGate = await createTestGate();
  cleanups.push(() => testGate.close());
  const { gate } = testGate;
  const edgeEnv = options.edge
    ? { ...options.edge.env, ...fakeCloudflaredEnv(), BAND_CLOUDFLARED_PATH: fakeCloudflaredPath }
    : {};
  const tunnelServers: Server[] = [];
  const api: BandApi = await createBandApi({
    home: testGate.home,
    settings: testGate.settings,
    gate,
    env: { ...process.env, ...edgeEnv, SHELL: '/bin/sh', PS1: '$ ' },
    // The tunnel listener, as apps/dashboard/server.ts opens it: everything arriving here is remote.
    openTunnelListener: async () => {
      const tunnelServer = createServer();
      route(tunnelServer, 'tunnel');
      await new Promise<void>((resolve) => tunnelServer.listen(0, '127.0.0.1', resolve));
      tunnelServers.push(tunnelServer);
      return {
        url: `http://127.0.0.1:${(tunnelServer.address() as AddressInfo).port}`,
        close: async () => {
          tunnelServer.closeAllConnections();
          await new Promise<void>((resolve) => tunnelServer.close(() => resolve()));
        },
      };
    },
  });
  cleanups.push(() => api.close());
  function route(server: Server, listener: 'local' | 'tunnel') {
    server.on('request', async (req, res) => {
      const principal = await gate.handleRequest(req, res, listener);
      if (!principal) return;
      if (!api.handleRequest(req, res, principal)) {
        res.statusCode = 404;
        res.end();
      }
    });
    server.on('upgrade', async (req, socket, head) => {
      const principal = await gate.handleUpgrade(req, socket, listener);
      if (!principal) return;
      if (!api.handleUpgrade(req, socket, head, principal)) socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
    });
  }
  // A real project and workspace (git worktree) through the workspaces service.
  const repo = path.join(testGate.home, 'repos', 'demo');
  await mkdir(repo, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: repo,
      stdio: 'pipe',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    });
  await writeFile(path.join(repo, 'README.md'), '# demo\n');
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'init');
  await api.services.projects.register({ path: repo, name: 'demo' });
  const { workspace: created } = await api.services.workspaces.create({
    project: 'demo',
    branch: 'feat/terminals',
    waitForSetup: true,
  });
  const workspace = await realpath(created.path);
  const workspaceId = created.id;

  const server: Server = createServer();
  route(server, 'local');
  const listening = await listenLoopback(server);
  // The API first: upgraded sockets keep http.Server#close waiting until they end.
  cleanups.push(async () => {
    await api.close();
    await listening.close();
  });
  const port = listening.port;
  gate.setLocalPort(port);
  const origin = `http://127.0.0.1:${port}`;
  const headers = bearerHeader(testGate.token);
  return {
    api,
    testGate,
    origin,
    wsBase: `ws://127.0.0.1:${port}`,
    workspace,
    workspaceId,
    async trpc(procedure, input, kind = 'mutation') {
      const url = `http://127.0.0.1:${port}/api/trpc/${procedure}`;
      const response =
        kind === 'query'
          ? await fetch(`${url}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers })
          : await fetch(url, {
              method: 'POST',
              headers: { ...headers, 'content-type': 'application/json', origin },
              body: JSON.stringify(input),
            });
      const body = await response.json();
      return { status: response.status, body };
    },
    socket(pathname, extra = headers) {
      return connect(`ws://127.0.0.1:${port}${pathname}`, { origin, ...extra });
    },
  };
}

const refusal = (url: string, headers: Record<string, string>) =>
  new Promise<number>((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => resolve(101));
    ws.on('error', () => {});
  });

describe('terminals behind the gate and createBandApi', () => {
  it('creates a terminal over HTTP tRPC and streams it over an authenticated WebSocket', async () => {
    const band = await startBand();
    const created = await band.trpc('terminals.create', {
      workspaceId: band.workspaceId,
      command: 'echo up-$((20+1))',
    });
    expect(created).toMatchObject({ status: 200, body: {} });
    const terminal = created.body.result.data;
    expect(terminal.cwd).toBe(band.workspace);
    const viewer = band.socket(`/api/terminals/${terminal.id}`);
    await waitFor(() => expect(viewer.output()).toContain('up-21'), { timeout: 10_000 });
    viewer.sendJson({ type: 'input', data: 'echo typed-$((4*4))\r' });
    await waitFor(() => expect(viewer.output()).toContain('typed-16'), { timeout: 10_000 });
    const output = await band.trpc('terminals.output', { id: terminal.id, lines: 5 }, 'query');
    expect(output.body.result.data.lines.join('\n')).toContain('typed-16');
    const missing = await band.trpc('terminals.create', { workspaceId: 'ws_missing' });
    expect(missing.status).toBe(404);
  });

  it('refuses terminal and language-server sockets without credentials or from a foreign Origin', async () => {
    const band = await startBand();
    const { body } = await band.trpc('terminals.create', { workspaceId: band.workspaceId });
    const id = body.result.data.id;
    for (const pathname of [`/api/terminals/${id}`, `/api/lsp/${band.workspaceId}/typescript`]) {
      expect(await refusal(`${band.wsBase}${pathname}`, { origin: band.origin })).toBe(401);
      expect(
        await refusal(`${band.wsBase}${pathname}`, {
          origin: 'https://evil.example',
          ...bearerHeader(band.testGate.token),
        }),
      ).toBe(403);
      expect(await refusal(`${band.wsBase}${pathname}`, { origin: band.origin, ...bearerHeader('0'.repeat(64)) })).toBe(
        401,
      );
    }
  });

  it('closing the API leaves no shell or language server behind', async () => {
    const band = await startBand();
    const { body } = await band.trpc('terminals.create', {
      workspaceId: band.workspaceId,
      command: 'sleep 500 & echo bg-started',
    });
    const terminal = body.result.data;
    const lsp = band.socket(`/api/lsp/${band.workspaceId}/typescript`);
    lsp.sendJson({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { processId: null, rootUri: null, capabilities: {} },
    });
    await waitFor(() => expect(lsp.messages.some((m) => m.id === 1 && m.result)).toBe(true), { timeout: 30_000 });
    await waitFor(() => expect(listProcessTree(terminal.pid)?.length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    const lspPid = band.api.services.lsp.list()[0]!.pid!;
    const pids = [...(listProcessTree(terminal.pid) ?? []), ...(listProcessTree(lspPid) ?? [])];
    expect(pids).toContain(lspPid);
    await band.api.close();
    await waitFor(() => expect(pids.filter(isProcessAlive)).toEqual([]), { timeout: 10_000 });
    await lsp.closed; // the socket was closed by the shutdown, not left hanging
  }, 60_000);

  it('streams a terminal through the tunnel ' +
    '(fake edge + fake cloudflared) and refuses the local Origin there', async () => {
    const edge = await startFakeEdge();
    cleanups.push(() => edge.close());
    const band = await startBand({ edge });
    const status = await band.api.services.tunnel.start();
    const host = new URL(status.url!).host;
    await edge.waitForRoute(host);
    const terminal = await band.api.services.terminals.create({ workspaceId: band.workspaceId });
    const url = `wss://127.0.0.1:${edge.port}/api/terminals/${terminal.id}`;
    const headers = { host, origin: `https://${host}`, ...bearerHeader(band.testGate.token) };
    const viewer = new WebSocket(url, { headers, rejectUnauthorized: false });
    const output: Buffer[] = [];
    viewer.on('message', (data, isBinary) => {
      if (isBinary) output.push(data as Buffer);
    });
    viewer.on('error', () => {});
    await new Promise((resolve) => viewer.once('open', resolve));
    viewer.send(JSON.stringify({ type: 'input', data: 'echo remote-$((9*9))\r' }));
    await waitFor(() => expect(Buffer.concat(output).toString()).toContain('remote-81'));
    viewer.close();

    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(url, { headers: { ...headers, origin: band.origin }, rejectUnauthorized: false });
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => resolve(101));
      ws.on('error', () => {});
    });
    expect(refused).toBe(403);
  }, 60_000);
});
