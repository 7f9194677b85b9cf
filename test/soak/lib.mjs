// Shared by the fault runs (test/soak/*.soak.mjs): the result a fault writes for scripts/soak.mjs, temp folders
// that are always removed, and a git repository for a workspace.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `npm run soak -- --quick`: a short version of every fault (CI). */
export const QUICK = process.env.BAND_SOAK_QUICK === '1';

/**
 * A fault's result: `check()` records a criterion of "survived" (all must hold), `figure()` a measured number,
 * `set()` a field of the result itself (e.g. how the fault was made: `mode`), kept in soak-results/summary.json.
 * `finish()` writes it where scripts/soak.mjs reads it and sets the exit code.
 */
export function createReport(fault, description) {
  const criteria = [];
  const figures = [];
  const fields = {};
  return {
    set(key, value) {
      fields[key] = value;
    },
    check(name, ok, detail) {
      criteria.push({ name, ok: Boolean(ok), ...(detail === undefined ? {} : { detail: String(detail) }) });
      process.stderr.write(`  ${ok ? 'ok  ' : 'FAIL'} ${name}${detail === undefined ? '' : `: ${detail}`}\n`);
      return Boolean(ok);
    },
    figure(name, value, unit) {
      const rounded = Number.isInteger(value) ? value : Number(value.toFixed(2));
      figures.push({ name, value: rounded, unit });
      process.stderr.write(`       ${name}: ${rounded} ${unit}\n`);
    },
    finish(error) {
      if (error)
        criteria.push({
          name: 'the run completed',
          ok: false,
          detail: String(error?.stack ?? error)
            .split('\n')
            .slice(0, 3)
            .join(' | '),
        });
      const result = { fault, description, quick: QUICK, ...fields, criteria, figures };
      if (process.env.BAND_SOAK_OUT) writeFileSync(process.env.BAND_SOAK_OUT, `${JSON.stringify(result, null, 2)}\n`);
      process.exitCode = criteria.length > 0 && criteria.every((c) => c.ok) ? 0 : 1;
      return result;
    },
  };
}

/** A temp folder removed by `dispose()`, whatever happened. */
export function tempDir(prefix) {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, dispose: () => rmSync(path, { recursive: true, force: true }) };
}

/** A git repository with one commit at `dir`. */
export function makeRepo(dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'README.md'), '# soak\n');
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'soak',
    GIT_AUTHOR_EMAIL: 's@s',
    GIT_COMMITTER_NAME: 'soak',
    GIT_COMMITTER_EMAIL: 's@s',
  };
  for (const argv of [
    ['init', '-q', '-b', 'main'],
    ['add', '.'],
    ['commit', '-q', '-m', 'init'],
  ])
    execFileSync('git', argv, { cwd: dir, env, stdio: 'pipe' });
  return dir;
}

export const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Resolves when `test()` is truthy (polled every `intervalMs`); rejects with `what` after `timeoutMs`. */
export async function until(test, what, timeoutMs = 120_000, intervalMs = 20) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await test();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

/**
 * tRPC over HTTP as the dashboard and the CLI call it: `call(path, input, mutation)` → `{ ok, status, data, error }`.
 */
export function trpcHttp(serverUrl, token) {
  return async (path, input, mutation = false) => {
    const query = mutation || input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
    const res = await fetch(`${serverUrl}/api/trpc/${path}${query}`, {
      method: mutation ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', origin: serverUrl },
      body: mutation ? JSON.stringify(input) : undefined,
    });
    const json = await res.json().catch(() => ({}));
    return { ok: res.ok, status: res.status, data: json.result?.data, error: json.error };
  };
}

/**
 * A phone: tRPC's own WebSocket client, through the fake edge's TLS to the tunnel hostname (`edge`, `host`), or
 * straight to the server's own listener (`serverUrl`), with the bearer token; it resumes with the last id it saw
 * after each reconnect. `socket()` is the WebSocket in use (to kill it).
 */
export async function phoneClient({ edge, host, serverUrl, token, retryMs }) {
  const { createTRPCClient, createWSClient, wsLink } = await import('@trpc/client');
  const { default: WebSocket } = await import('ws');
  const headers = serverUrl ? { origin: new URL(serverUrl).origin } : { host, origin: `https://${host}` };
  const url = serverUrl
    ? `${serverUrl.replace(/^http/, 'ws')}/api/trpc-ws`
    : `wss://127.0.0.1:${edge.port}/api/trpc-ws`;
  let socket;
  class PhoneSocket extends WebSocket {
    constructor(url) {
      super(url, {
        headers: { ...headers, authorization: `Bearer ${token}` },
        rejectUnauthorized: false,
        perMessageDeflate: false,
      });
      socket = this;
    }
  }
  const wsClient = createWSClient({ url, WebSocket: PhoneSocket, retryDelayMs: () => retryMs });
  return {
    trpc: createTRPCClient({ links: [wsLink({ client: wsClient })] }),
    close: () => wsClient.close(),
    socket: () => socket,
  };
}

/** Runs the cleanups of a soak run, last registered first; one that fails does not stop the others. */
export async function runCleanup(cleanup) {
  for (const fn of cleanup.reverse())
    await Promise.resolve()
      .then(fn)
      .catch(() => {});
}

/** Makes the fake CLI the server's default agent and registers a new git repository under `dir` as project `soak`. */
export async function addSoakProject(server, dir) {
  const { fakeAgentPath } = await import('@band/agents/testing');
  await server.settings.update((s) => ({
    ...s,
    codingAgents: [{ id: 'fake', type: 'claude-code', label: 'Fake', command: fakeAgentPath() }],
    defaultCodingAgent: 'fake',
  }));
  await server.api.services.projects.register({ path: makeRepo(join(dir, 'repo')), name: 'soak' });
}

/**
 * A Band server in this process, as a phone reaches it: its agent is the fake CLI (`agent`: `fakeAgentEnv` options)
 * and its tunnel the fake cloudflared through a fake Cloudflare edge; with one project, one ready workspace on
 * `branch` and one chat, and the tunnel started and routable. `close()` stops the server, then the edge.
 * `cloudflaredState` is where the fake cloudflared records its processes.
 */
export async function startTunnelBand(dir, { agent, branch }) {
  const { fakeAgentEnv } = await import('@band/agents/testing');
  const { startServer } = await import('@band/server/start');
  const { fakeCloudflaredEnv, fakeCloudflaredPath, startFakeEdge } = await import('@band/tunnel/testing');
  const edge = await startFakeEdge();
  const cloudflaredState = join(dir, 'cloudflared');
  let server;
  try {
    server = await startServer({
      home: join(dir, 'home'),
      port: 0,
      host: '127.0.0.1',
      logger: silentLogger,
      env: {
        ...process.env,
        BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
        ...edge.env,
        ...fakeCloudflaredEnv({ scenario: 'ok', stateDir: cloudflaredState }),
        ...fakeAgentEnv(agent),
      },
    });
    const { services } = server.api;
    await addSoakProject(server, dir);
    const { workspace } = await services.workspaces.create({ project: 'soak', branch, waitForSetup: true });
    const chat = services.chats.create({ workspaceId: workspace.id });
    const tunnel = await services.tunnel.start();
    const host = new URL(tunnel.url).host;
    await edge.waitForRoute(host);
    const close = async () => {
      await server.close().catch(() => {});
      await edge.close();
    };
    return { edge, server, services, workspace, chat, tunnelUrl: tunnel.url, host, cloudflaredState, close };
  } catch (error) {
    await server?.close().catch(() => {});
    await edge.close();
    throw error;
  }
}

/** Every envelope `chats.history` holds for the chat, in seq order (paged). */
export function storedHistory(services, chatId) {
  const stored = [];
  for (let after = 0; ; ) {
    const page = services.chats.history({ chatId, afterSeq: after, limit: 5_000 }).events;
    if (page.length === 0) break;
    stored.push(...page);
    after = page.at(-1).seq;
  }
  return stored;
}

/** Resolves when the turn has ended (done, failed or aborted) and returns its stored status. */
export async function turnEnded(services, chatId, turnId, timeoutMs = 600_000) {
  const status = () => services.chats.history({ chatId, limit: 1 }).turns.find((t) => t.id === turnId)?.status;
  await until(() => ['done', 'failed', 'aborted'].includes(status()), 'the turn to end', timeoutMs, 100);
  return status();
}

/**
 * What a client received against what the server stored, envelope by envelope: `missing`, `duplicates`,
 * `outOfOrder` and `differing` must all be 0 for "nothing lost".
 */
export function compareWithHistory(services, chatId, received) {
  const stored = storedHistory(services, chatId);
  const seqs = received.map((e) => e.seq);
  const duplicates = seqs.length - new Set(seqs).size;
  const outOfOrder = seqs.filter((s, i) => i > 0 && s !== seqs[i - 1] + 1).length;
  const missing = stored.length - new Set(seqs).size;
  let differing = 0;
  let firstDiff;
  for (let i = 0; i < Math.max(stored.length, received.length); i++) {
    if (JSON.stringify(received[i]) === JSON.stringify(stored[i])) continue;
    differing++;
    const fields = Object.keys({ ...received[i], ...stored[i] }).filter(
      (k) => JSON.stringify(received[i]?.[k]) !== JSON.stringify(stored[i]?.[k]),
    );
    const client = JSON.stringify(fields.map((k) => received[i]?.[k])).slice(0, 120);
    const server = JSON.stringify(fields.map((k) => stored[i]?.[k])).slice(0, 120);
    firstDiff ??= `seq ${stored[i]?.seq} differs in ${fields.join(', ')}: client ${client}, stored ${server}`;
  }
  return { stored, missing, duplicates, outOfOrder, differing, firstDiff };
}

/**
 * A Band server in a process of its own (fixtures/serve.mjs), for faults that kill it: resolves once it listens with
 * `{ child, url, pid, startMs }`. Every child is pushed to `children`, so the run can stop what is left.
 */
export async function serveInProcess(home, env, children) {
  const { spawn } = await import('node:child_process');
  const { createInterface } = await import('node:readline');
  const serveScript = new URL('./fixtures/serve.mjs', import.meta.url).pathname;
  const child = spawn(process.execPath, [serveScript, home], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    // Next's own output comes first; the server's line says where it listens.
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('band-serve '))
        resolve({ child, ...JSON.parse(line.slice('band-serve '.length)), startMs: performance.now() - t0 });
    });
    child.once('exit', (code, signal) => reject(new Error(`the server exited before listening (${code ?? signal})`)));
  });
}

/** Stops what `serveInProcess` started and is still running: SIGTERM, then SIGKILL after 10 s. */
export async function stopChildren(children) {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGTERM');
    await new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => resolve(clearTimeout(timer)));
    });
  }
}

/**
 * `PRAGMA integrity_check` of `<home>/band.db`, opened read-only with the store's own better-sqlite3: `ok` when sound.
 */
export async function integrityCheck(home) {
  const { createRequire } = await import('node:module');
  const Database = createRequire(import.meta.resolve('@band/store'))('better-sqlite3');
  const db = new Database(join(home, 'band.db'), { readonly: true, fileMustExist: true });
  try {
    return db.pragma('integrity_check', { simple: true });
  } finally {
    db.close();
  }
}
