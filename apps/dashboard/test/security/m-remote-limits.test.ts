// Attack matrix group M (issue 16, findings 3, 6, 8, 9, 10): what a signed-in phone can reach, what Band's children
// inherit, and what Band leaves on disk. Against the real server (tunnel listener + fake cloudflared), real git,
// real PTYs and the real typescript-language-server.
import { execFileSync } from 'node:child_process';
import {
  chmod,
  link,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  realpath,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '@band/server/start';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { captureLogger, SLOW, tempHome } from '../helpers.js';
import {
  type Band,
  expectNoSecretsLogged,
  http,
  type HttpResult,
  openWs,
  signIn,
  snapshot,
  startBand,
} from './harness.js';

let band: Band;
let localCookie: string;
let phoneCookie: string;
let repo: string;
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  band = await startBand({ tunnel: true });
  localCookie = await signIn(band);
  phoneCookie = await signIn(band, { port: band.tunnel!.port, host: band.tunnel!.host, ip: '192.0.2.30' });
  repo = await gitRepo();
  expect((await root('POST', 'projects.register', { path: repo, name: 'app' })).status).toBe(200);
});
afterAll(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  await band?.close();
  if (repo) await rm(join(repo, '..'), { recursive: true, force: true });
});
afterEach(() => {
  if (band) expectNoSecretsLogged(band, expect);
});

// --- helpers ---

async function gitRepo(): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'band-m-')), 'app');
  await mkdir(dir);
  const env = {
    ...process.env,
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@t',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@t',
  };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env, stdio: 'pipe' });
  await writeFile(join(dir, 'README.md'), '# app\n');
  await writeFile(join(dir, 'tsconfig.json'), '{}\n');
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'init');
  return dir;
}

const input = (value: unknown) => `?input=${encodeURIComponent(JSON.stringify(value))}`;

/** A tRPC call with the CLI's bearer token on the local listener. */
function root(method: 'GET' | 'POST', procedure: string, value?: unknown, server: Band = band): Promise<HttpResult> {
  const headers: Record<string, string> = { host: server.host, authorization: `Bearer ${server.token()}` };
  if (method === 'GET')
    return http(server.port, { path: `/api/trpc/${procedure}${value === undefined ? '' : input(value)}`, headers });
  return http(server.port, {
    method,
    path: `/api/trpc/${procedure}`,
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(value ?? {}),
  });
}

/** A same-origin call from the phone's browser through the tunnel listener. */
function phone(method: 'GET' | 'POST', procedure: string, value?: unknown): Promise<HttpResult> {
  const t = band.tunnel!;
  const headers: Record<string, string> = {
    host: t.host,
    cookie: phoneCookie,
    'sec-fetch-site': 'same-origin',
    'cf-connecting-ip': '192.0.2.30',
  };
  if (method === 'GET')
    return http(t.port, { path: `/api/trpc/${procedure}${value === undefined ? '' : input(value)}`, headers });
  return http(t.port, {
    method,
    path: `/api/trpc/${procedure}`,
    headers: { ...headers, origin: t.origin, 'content-type': 'application/json' },
    body: JSON.stringify(value ?? {}),
  });
}

const json = (r: HttpResult) => JSON.parse(r.body);

interface Stream {
  status: number;
  contentType: string;
  /** Everything received so far. */
  body(): string;
  /** Resolves when the server ended the response. */
  ended: Promise<void>;
  close(): void;
}

/**
 * An EventSource-like GET (what tRPC's httpSubscriptionLink sends). Resolves on the response head, so a stream the
 * server keeps open is observed (and closed by the test) instead of hanging it.
 */
function eventStream(port: number, path: string, headers: Record<string, string>): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        agent: false,
        headers: { accept: 'text/event-stream', 'sec-fetch-site': 'same-origin', ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        const ended = new Promise<void>((done) => {
          res.on('end', done);
          res.on('close', done);
        });
        const stream: Stream = {
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          body: () => Buffer.concat(chunks).toString('utf8'),
          ended,
          close: () => req.destroy(),
        };
        cleanups.push(() => stream.close());
        resolve(stream);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const localStream = (procedure: string, value: unknown, cookie = localCookie) =>
  eventStream(band.port, `/api/trpc/${procedure}${input(value)}`, { host: band.host, cookie });

function expectRefusedSubscription(stream: Stream) {
  expect(stream.status).toBe(405);
  expect(stream.contentType).not.toContain('text/event-stream');
}

/**
 * Opens a language-server socket and resolves once Band says the server is attached. The listener is in place before
 * the handshake ends: `band/attached` can arrive in the same packet as the 101.
 */
function openLsp(port: number, ref: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/lsp/${encodeURIComponent(ref)}/typescript`, {
      headers,
      perMessageDeflate: false,
    });
    cleanups.push(() => ws.terminate());
    ws.on('message', (m) => {
      if (String(m).includes('"band/attached"')) resolve(ws);
    });
    ws.on('unexpected-response', (_req, res) => reject(new Error(`lsp ${ref}: HTTP ${res.statusCode}`)));
    ws.on('close', (code, reason) => reject(new Error(`lsp ${ref}: closed ${code} ${String(reason)}`)));
    ws.on('error', () => {});
  });
}

async function createWorkspace(branch: string, server: Band = band): Promise<{ id: string; path: string }> {
  const r = await root('POST', 'workspaces.create', { project: 'app', branch, waitForSetup: true }, server);
  expect(r.status, r.body).toBe(200);
  return json(r).result.data.workspace;
}

// --- finding 3: subscriptions only over the WebSocket ---

describe('M. subscriptions only over the WebSocket (finding 3)', () => {
  it(
    'M1: terminals.events over HTTP (SSE) is refused with ' + '405 METHOD_NOT_SUPPORTED before any stream starts',
    async () => {
      const stream = await localStream('terminals.events', {});
      expectRefusedSubscription(stream);
      await stream.ended;
      const error = JSON.parse(stream.body()).error;
      expect(error.data).toMatchObject({ code: 'METHOD_NOT_SUPPORTED', reason: 'SUBSCRIPTION_OVER_HTTP' });
      expect(error.message).toContain('/api/trpc-ws');
    },
  );

  it('M2: a revoked device gets no new terminal nor its command through an HTTP stream it opened before', async () => {
    const cookie = await signIn(band);
    const device = band.server.gate.listDevices().sort((a, b) => b.createdAt - a.createdAt)[0]!;
    const stream = await localStream('terminals.events', {}, cookie);
    expect(band.server.gate.revokeDevice(device.id)).toBe(true);
    const workspace = await createWorkspace('m2-terminals');
    const created = await root('POST', 'terminals.create', {
      workspaceId: workspace.id,
      command: 'echo m2-typed-after-revoke',
    });
    expect(created.status).toBe(200);
    expectRefusedSubscription(stream);
    await stream.ended;
    expect(stream.body()).not.toContain('m2-typed-after-revoke');
    expect(stream.body()).not.toContain(json(created).result.data.id);
  });

  it('M3: 100 HTTP subscription attempts from one session are all refused and none stays open', async () => {
    const streams = await Promise.all(Array.from({ length: 100 }, () => localStream('workspaces.events', {})));
    for (const stream of streams) expectRefusedSubscription(stream);
    await Promise.all(streams.map((s) => s.ended));
    // The session keeps its whole WebSocket budget.
    const ws = await openWs(band.port, '/api/trpc-ws', { host: band.host, cookie: localCookie, origin: band.origin });
    expect(ws.result).toBe('open');
    ws.ws?.close();
  });

  it(
    'M4: workspaces.events is refused over HTTP on both ' + 'listeners, for a cookie, a bearer and in a batch',
    async () => {
      const t = band.tunnel!;
      const attempts = [
        await eventStream(t.port, `/api/trpc/workspaces.events${input({})}`, {
          host: t.host,
          cookie: phoneCookie,
          'cf-connecting-ip': '192.0.2.30',
        }),
        await eventStream(band.port, `/api/trpc/workspaces.events${input({})}`, {
          host: band.host,
          authorization: `Bearer ${band.token()}`,
        }),
        await eventStream(band.port, `/api/trpc/health,workspaces.events?batch=1&input=${encodeURIComponent('{}')}`, {
          host: band.host,
          cookie: localCookie,
        }),
        await eventStream(band.port, `/api/trpc/workspaces%2Eevents${input({})}`, {
          host: band.host,
          cookie: localCookie,
        }),
      ];
      for (const stream of attempts) expectRefusedSubscription(stream);
    },
  );

  it('M4: the same subscription still works over the WebSocket', async () => {
    const r = await openWs(band.port, '/api/trpc-ws', { host: band.host, cookie: localCookie, origin: band.origin });
    expect(r.result).toBe('open');
    const ws = r.ws!;
    const messages: Array<{ id?: number; result?: { type: string; data?: unknown } }> = [];
    ws.on('message', (m) => messages.push(JSON.parse(String(m))));
    ws.send(JSON.stringify({ id: 1, method: 'subscription', params: { path: 'tunnel.events', input: {} } }));
    await vi.waitFor(() => expect(messages.find((m) => m.id === 1 && m.result?.type === 'data')).toBeDefined(), SLOW);
    ws.close();
  });
});

// --- finding 6: what a phone may change ---

describe('M. settings a phone may not change (finding 6)', () => {
  it.each([
    ['tunnel.cloudflaredPath', '/tmp/evil/cloudflared'],
    ['codingAgents', [{ id: 'evil', type: 'claude-code', label: 'Evil', command: '/tmp/evil/agent' }]],
    ['tunnel.mode', 'named'],
    ['tunnel.hostname', 'band.evil.example'],
    ['tunnel.tokenFile', '/tmp/evil/token'],
    ['webServerPort', 4444],
    ['worktreesDir', '/tmp/evil/worktrees'],
    ['autoStartTunnel', true],
    ['tokenSecret', 'a'.repeat(64)],
  ])(
    'M5: a tunnel session setting %s → 403 FORBIDDEN with a clear message, settings.json unchanged',
    async (key, value) => {
      const before = await snapshot(band);
      const r = await phone('POST', 'settings.set', { key, value });
      expect(r.status).toBe(403);
      expect(json(r).error.message).toMatch(
        /can only be changed on the computer running Band|cannot be set through the API/,
      );
      expect((await snapshot(band)).settingsText).toBe(before.settingsText);
    },
  );

  it('M5: a tunnel session may still change what the dashboard shows (notifications)', async () => {
    const r = await phone('POST', 'settings.set', { key: 'notifications.soundOnNeedsAttention', value: false });
    expect(r.status).toBe(200);
    expect(band.server.settings.get().notifications.soundOnNeedsAttention).toBe(false);
  });

  it('M5: the same keys stay settable from this machine', async () => {
    const r = await root('POST', 'settings.set', { key: 'webServerPort', value: 4444 });
    expect(r.status).toBe(200);
    expect(band.server.settings.get().webServerPort).toBe(4444);
  });

  it('M6: no child Band starts (shell, language server, agent, setup hook) inherits a BAND_* variable', async () => {
    const home = await tempHome();
    cleanups.push(() => home[Symbol.asyncDispose]());
    const agentEnvFile = join(home.home, 'agent-env');
    const hookEnvFile = join(home.home, 'hook-env');
    // A fake agent CLI that records the environment it was given. Written aside and renamed: a large environment
    // (CI's) is more than one write, and a reader between them saw a file without PATH.
    const agent = join(home.home, 'fake-agent.sh');
    await writeFile(agent, `#!/bin/sh\nenv > '${agentEnvFile}.part' && mv '${agentEnvFile}.part' '${agentEnvFile}'\n`);
    await chmod(agent, 0o755);
    const inherited = {
      BAND_TOKEN: 'b'.repeat(64),
      BAND_SERVER_URL: 'http://127.0.0.1:9',
      BAND_EXTRA_SECRET: 'm6-secret',
      band_lower: 'm6',
    };
    const env: NodeJS.ProcessEnv = { ...process.env, ...inherited };
    const server = await startServer({ home: join(home.home, 'band'), port: 0, logger: captureLogger(), env });
    let lsp: WebSocket | undefined;
    try {
      const other: Band = {
        server,
        home: server.home,
        port: server.port,
        host: `localhost:${server.port}`,
        origin: `http://localhost:${server.port}`,
        token: () => server.settings.get().tokenSecret,
        logger: captureLogger(),
        secrets: new Set(),
        close: () => server.close(),
      };
      const otherRepo = await gitRepo();
      cleanups.push(() => rm(join(otherRepo, '..'), { recursive: true, force: true }));
      await mkdir(join(otherRepo, '.band'));
      const setup = `env > '${hookEnvFile}.part' && mv '${hookEnvFile}.part' '${hookEnvFile}'`;
      await writeFile(join(otherRepo, '.band', 'config.json'), JSON.stringify({ setup }));
      execFileSync('git', ['add', '.band/config.json'], { cwd: otherRepo });
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'setup'], {
        cwd: otherRepo,
      });
      expect((await root('POST', 'projects.register', { path: otherRepo, name: 'app' }, other)).status).toBe(200);
      const workspace = await createWorkspace('m6-env', other);
      expect(
        (
          await root(
            'POST',
            'settings.set',
            { key: 'codingAgents', value: [{ id: 'fake', type: 'claude-code', label: 'Fake', command: agent }] },
            other,
          )
        ).status,
      ).toBe(200);
      expect((await root('POST', 'settings.set', { key: 'defaultCodingAgent', value: 'fake' }, other)).status).toBe(
        200,
      );

      const terminal = json(await root('POST', 'terminals.create', { workspaceId: workspace.id }, other)).result.data;
      lsp = await openLsp(other.port, workspace.id, { host: other.host, authorization: `Bearer ${other.token()}` });
      expect(
        (await root('POST', 'chats.send', { workspaceId: workspace.id, message: 'print your environment' }, other))
          .status,
      ).toBe(200);
      await vi.waitFor(() => expect(server.api.services.lsp.list()[0]?.pid).toBeGreaterThan(0), SLOW);

      const environ = async (pid: number) =>
        (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0').filter(Boolean);
      const bandNames = (lines: string[]) =>
        lines
          .map((l) => l.slice(0, l.indexOf('=')))
          .filter((n) => /^band_/i.test(n))
          .sort();
      const shell = await environ(terminal.pid);
      const languageServer = await environ(server.api.services.lsp.list()[0]!.pid!);
      await vi.waitFor(async () => expect((await readFile(agentEnvFile, 'utf8')).length).toBeGreaterThan(0), SLOW);
      await vi.waitFor(async () => expect((await readFile(hookEnvFile, 'utf8')).length).toBeGreaterThan(0), SLOW);
      const agentEnv = (await readFile(agentEnvFile, 'utf8')).split('\n');
      const hookEnv = (await readFile(hookEnvFile, 'utf8')).split('\n');

      expect(bandNames(shell)).toEqual(['BAND_TERMINAL_ID', 'BAND_WORKSPACE_ID']);
      expect(bandNames(languageServer)).toEqual([]);
      expect(bandNames(agentEnv)).toEqual([]);
      expect(bandNames(hookEnv)).toEqual([
        'BAND_BASE_BRANCH',
        'BAND_BRANCH',
        'BAND_PROJECT_NAME',
        'BAND_PROJECT_PATH',
        'BAND_WORKSPACE_ID',
        'BAND_WORKSPACE_PATH',
      ]);
      for (const lines of [shell, languageServer, agentEnv, hookEnv]) {
        expect(lines.join('\n')).not.toContain('m6-secret');
        expect(lines.join('\n')).not.toContain(other.token());
        // the rest of the environment is kept
        expect(lines.find((l) => l.startsWith('PATH='))).toContain(process.env.PATH);
      }
    } finally {
      lsp?.terminate(); // an open socket would keep the listener from closing
      await server.close();
    }
  }, 120_000);
});

// --- finding 8: modes under BAND_HOME ---

describe('M. files under BAND_HOME (finding 8)', () => {
  it(
    'M7: on a fresh home every file Band writes is 0600 ' +
      '(band.db-wal and band.db-shm included) and every directory 0700',
    async () => {
      const fresh = await startBand();
      try {
        await signIn(fresh); // sessions.json
        const freshRepo = await gitRepo();
        cleanups.push(() => rm(join(freshRepo, '..'), { recursive: true, force: true }));
        // a band.db write
        expect((await root('POST', 'projects.register', { path: freshRepo, name: 'app' }, fresh)).status).toBe(200);
        const found: string[] = [];
        const walk = async (dir: string): Promise<void> => {
          for (const entry of await readdir(dir, { withFileTypes: true })) {
            const path = join(dir, entry.name);
            const mode = ((await stat(path)).mode & 0o777).toString(8);
            found.push(`${path.slice(fresh.home.length + 1)} ${mode}`);
            if (entry.isDirectory()) await walk(path);
          }
        };
        await walk(fresh.home);
        const names = found.map((f) => f.split(' ')[0]);
        expect(names).toEqual(
          expect.arrayContaining(['settings.json', 'sessions.json', 'band.db', 'band.db-wal', 'band.db-shm']),
        );
        expect(found.filter((f) => !f.endsWith(' 600') && !f.endsWith(' 700'))).toEqual([]);
        expect((await stat(fresh.home)).mode & 0o777).toBe(0o700);
      } finally {
        await fresh.close();
      }
    },
  );
});

// --- finding 9: hard links ---

describe('M. hard links in a worktree (finding 9)', () => {
  it(
    'M8: files.read and changes.diff refuse a hard link ' + 'to a file outside the worktree, with a clear error',
    async () => {
      const workspace = await createWorkspace('m8-hardlink');
      const secretDir = await mkdtemp(join(tmpdir(), 'band-m8-'));
      cleanups.push(() => rm(secretDir, { recursive: true, force: true }));
      const secret = join(secretDir, 'id_secret');
      await writeFile(secret, 'M8-PRIVATE-KEY-MATERIAL\n');
      try {
        await link(secret, join(workspace.path, 'notes.txt'));
      } catch (error) {
        // Different filesystems cannot hold a hard link: the case does not exist there, so say which.
        throw new Error(`cannot hard-link ${secret} into ${workspace.path}: ${(error as Error).message}`);
      }
      for (const r of [
        await phone('GET', 'files.read', { workspace: workspace.id, path: 'notes.txt' }),
        await phone('GET', 'changes.diff', { workspace: workspace.id, path: 'notes.txt' }),
        await root('GET', 'files.read', { workspace: workspace.id, path: 'notes.txt' }),
      ]) {
        expect(r.status).toBe(403);
        expect(r.body).not.toContain('M8-PRIVATE-KEY-MATERIAL');
        const error = json(r).error;
        expect(error.data.reason).toBe('HARD_LINKED_FILE');
        expect(error.message).toContain('hard link');
      }
    },
  );
});

// --- finding 10 ---

describe('M. language servers, branch names and error paths (finding 10)', () => {
  it('M9: the workspace id, an id prefix and the branch name share one language server process', async () => {
    const workspace = await createWorkspace('m9-lsp');
    const refs = [workspace.id, workspace.id.slice(0, 8), 'm9-lsp'];
    const sockets: WebSocket[] = [];
    for (const ref of refs)
      sockets.push(await openLsp(band.port, ref, { host: band.host, cookie: localCookie, origin: band.origin }));
    // Processes: the language servers this process started whose working directory is that worktree.
    const worktree = await realpath(workspace.path);
    const children = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(
        ([, ppid, ...args]) => ppid === String(process.pid) && args.join(' ').includes('typescript-language-server'),
      )
      .map(([pid]) => pid!);
    const inWorktree = [];
    for (const pid of children)
      if ((await readlink(`/proc/${pid}/cwd`).catch(() => '')) === worktree) inWorktree.push(pid);
    expect(inWorktree).toHaveLength(1);
    const servers = band.server.api.services.lsp.list().filter((s) => s.workspaceId === workspace.id);
    expect(servers).toHaveLength(1);
    expect(servers[0]!.clients).toBe(3);
    for (const ws of sockets) ws.terminate();
  });

  it(
    'M10: a branch name with a bidi control (U+202E) ' + 'or another invisible character is refused with a clear error',
    async () => {
      for (const branch of ['m10/\u202Etxt.exe', 'm10/\u2066x\u2069', 'm10/zero\u200Bwidth']) {
        const r = await phone('POST', 'workspaces.create', { project: 'app', branch });
        expect(r.status).toBe(400);
        const error = json(r).error;
        expect(error.data.reason).toBe('INVALID_BRANCH_NAME');
        expect(error.message).toContain('invisible');
        expect(error.message).toMatch(/\\u\{(202E|2066|200B)\}/);
      }
      expect(
        json(await root('GET', 'workspaces.list', {}))
          .result.data.map((w: { branch: string }) => w.branch)
          .filter((b: string) => b.startsWith('m10')),
      ).toEqual([]);
    },
  );

  it('M11: a settings error names the absolute home path to a local client only', async () => {
    const remote = await phone('POST', 'settings.set', { key: 'notifications.soundOnNeedsAttention', value: 'loud' });
    expect(remote.status).toBe(400);
    expect(remote.body).toContain('settings.json');
    expect(remote.body).not.toContain(band.home);
    const local = await root('POST', 'settings.set', { key: 'notifications.soundOnNeedsAttention', value: 'loud' });
    expect(local.status).toBe(400);
    expect(json(local).error.message).toContain(band.server.settings.file);
  });
});
