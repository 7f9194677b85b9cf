// Band as users install it. Packs every public package with `npm pack`, installs the tarballs with
// `npm install <tarballs>` in an empty folder outside the repository, and uses only what was installed:
// `npx band --version`, `npx band start` (authenticated GET / → the dashboard's HTML), `npx band tunnel start`
// and `npx band-tunnel` against the installed fake cloudflared, and an ESM program that embeds @band/tunnel,
// @band/tunnel/testing and @band/auth. Everything started here runs in its own process group and is killed by pid.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { createServer as createHttpServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CONSUMER_SCRIPT = fileURLToPath(new URL('../fixtures/consumer.mjs', import.meta.url));
const EXPECTED_PUBLIC = [
  '@band/agents',
  '@band/api',
  '@band/auth',
  '@band/cli',
  '@band/server',
  '@band/settings',
  '@band/store',
  '@band/tunnel',
];

/**
 * The environment of a user's shell: nothing from the `npm run test` that started us (npm_config_local_prefix would
 * point npm at the repository).
 */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) && !/^npm_config_(nodedir|cache|registry|userconfig)$/i.test(key)) continue;
    if (/^(BAND_|FAKE_CFD_|INIT_CWD$|TURBO_HASH$)/.test(key)) continue;
    env[key] = value;
  }
  // better-sqlite3 compiles from source here (no prebuilt download); node-gyp needs the local Node headers.
  if (!env.npm_config_nodedir && existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr';
  return { ...env, NO_COLOR: '1', NEXT_TELEMETRY_DISABLED: '1', ...extra };
}

/**
 * Runs a command to completion in its own process group; on timeout the whole group (npm's install scripts too) is
 * killed.
 */
function run(cmd: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? userEnv(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${options.timeoutMs ?? 60_000} ms)`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, options.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface Background {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first match of `pattern` in stdout+stderr; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}
const started: ChildProcess[] = [];

/** A long-running command in its own process group (npx → sh → node → its children), so it can be stopped whole. */
function background(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Background {
  const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  child.stdout?.on('data', (c) => (out += c));
  child.stderr?.on('data', (c) => (out += c));
  return {
    child,
    output: () => out,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (!m) return;
          cleanup();
          resolve(m);
        };
        const onExit = (code: number | null) => {
          cleanup();
          reject(new Error(`${cmd} ${args.join(' ')} exited (${code}) before printing ${pattern}:\n${out}`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${cmd} ${args.join(' ')}: no ${pattern} within ${timeoutMs} ms:\n${out}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          child.stdout?.off('data', check);
          child.stderr?.off('data', check);
          child.off('exit', onExit);
        };
        child.stdout?.on('data', check);
        child.stderr?.on('data', check);
        child.once('exit', onExit);
        check();
      });
    },
  };
}

/** Pids of live processes in process group `pgid`, or whose command line or working directory contains `text`. */
function livePids(filter: { pgid?: number; text?: string }): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, , pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      if (filter.pgid !== undefined && Number(pgid) === filter.pgid) pids.push(Number(pid));
      else if (
        filter.text &&
        (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(filter.text) ||
          readlinkSync(`/proc/${pid}/cwd`).includes(filter.text))
      ) {
        pids.push(Number(pid));
      }
    } catch {
      // the process went away
    }
  }
  return pids;
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

/**
 * Sends `signal` to the whole process group, as a terminal does on Ctrl+C, and waits for every process in it to
 * exit. Returns false (after SIGKILLing what is left) if something was still running after `graceMs`.
 */
async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<boolean> {
  const pgid = child.pid;
  if (pgid === undefined) return true;
  const kill = (s: NodeJS.Signals) => {
    try {
      process.kill(-pgid, s);
    } catch {
      // the group is gone
    }
  };
  kill(signal);
  const graceful = await waitUntil(() => livePids({ pgid }).length === 0, graceMs);
  if (!graceful) kill('SIGKILL');
  // The processes are gone, but what they wrote last may still sit in the pipes: read it all before the caller
  // looks at the output (under load the last line, "stopping tunnel…", was not read yet).
  if (child.stdout && !child.stdout.readableEnded)
    await waitUntil(() => child.stdout!.readableEnded && (child.stderr?.readableEnded ?? true), 10_000);
  return graceful;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resident memory of the node process in `child`'s group whose command line matches `pattern`, in MiB. */
function groupRssMiB(child: ChildProcess, pattern: RegExp): number | undefined {
  for (const pid of livePids({ pgid: child.pid })) {
    try {
      if (!pattern.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '))) continue;
      const kb = Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)?.[1]);
      return Math.round(kb / 1024);
    } catch {
      // the process went away
    }
  }
  return undefined;
}

const figures: Record<string, string> = {};
let work: string;
let consumer: string;
let installed: Record<string, string>;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'band-distribution-'));
  expect(work.startsWith(ROOT)).toBe(false);
  const tarballs = join(work, 'tarballs');
  consumer = join(work, 'consumer');

  // --- npm pack every public package ---
  mkdirSync(tarballs);
  const publicPackages: string[] = [];
  for (const group of ['packages', 'apps']) {
    for (const dir of readdirSync(join(ROOT, group))) {
      const manifest = join(ROOT, group, dir, 'package.json');
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string; private?: boolean };
      if (!pkg.private) publicPackages.push(pkg.name);
    }
  }
  expect(publicPackages.sort()).toEqual(expect.arrayContaining(EXPECTED_PUBLIC));
  const pack = await run(
    'npm',
    ['pack', '--json', '--pack-destination', tarballs, ...publicPackages.map((name) => `--workspace=${name}`)],
    {
      cwd: ROOT,
      timeoutMs: 120_000,
    },
  );
  expect(pack.code, pack.stderr).toBe(0);
  const packed = JSON.parse(pack.stdout) as Array<{ name: string; version: string; filename: string; size: number }>;
  expect(packed.map((p) => p.name).sort()).toEqual(publicPackages.sort());
  installed = Object.fromEntries(packed.map((p) => [p.name, p.version]));

  // --- an empty folder outside the repository, and npm install <tarballs> ---
  mkdirSync(consumer);
  writeFileSync(
    join(consumer, 'package.json'),
    `${JSON.stringify({ name: 'band-consumer', private: true, type: 'module' }, null, 2)}\n`,
  );
  const t0 = performance.now();
  const install = await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', ...packed.map((p) => join(tarballs, p.filename))],
    {
      cwd: consumer,
      timeoutMs: 780_000,
    },
  );
  figures['install from an empty folder'] = `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  expect(install.code, `${install.stdout}\n${install.stderr}`).toBe(0);
  const du = await run('du', ['-sh', join(consumer, 'node_modules')], { cwd: consumer });
  figures['installed size (node_modules)'] = du.stdout.split('\t')[0] ?? '?';
}, 840_000);

afterAll(async () => {
  for (const child of started) await stop(child, 'SIGKILL', 5_000);
  // Nothing that ran from the install folder (a server, a cloudflared) may outlive the test.
  if (work) for (const pid of livePids({ text: work })) process.kill(pid, 'SIGKILL');
  if (work) rmSync(work, { recursive: true, force: true });
  process.stderr.write(
    `distribution: ${Object.entries(figures)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}\n`,
  );
});

describe('installed from tarballs', () => {
  it('installs nothing from the repository and never builds Next', () => {
    for (const name of Object.keys(installed)) {
      const manifest = JSON.parse(readFileSync(join(consumer, 'node_modules', name, 'package.json'), 'utf8')) as {
        version: string;
      };
      expect(manifest.version).toBe(installed[name]);
    }
    // The dashboard arrives prebuilt inside @band/server; Next is not a dependency of anything installed.
    expect(
      existsSync(
        join(consumer, 'node_modules', '@band', 'server', 'dashboard', 'apps', 'dashboard', '.next', 'BUILD_ID'),
      ),
    ).toBe(true);
    expect(existsSync(join(consumer, 'node_modules', 'next'))).toBe(false);
    expect(existsSync(join(consumer, 'node_modules', '@band', 'dashboard'))).toBe(false);
  });

  it('npx band --version prints the installed version', async () => {
    const r = await run('npx', ['band', '--version'], { cwd: consumer });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(installed['@band/cli']);
  });

  it(
    'npx band start serves the dashboard to an authenticated GET /, ' +
      'and npx band tunnel start puts it behind the fake edge',
    async () => {
      const home = mkdtempSync(join(work, 'home-'));
      const port = await freePort();
      const testing = (await import(
        pathToFileURL(join(consumer, 'node_modules', '@band', 'tunnel', 'dist', 'testing', 'index.js')).href
      )) as typeof import('@band/tunnel/testing');
      const edge = await testing.startFakeEdge();
      try {
        const env = userEnv({
          BAND_HOME: home,
          BAND_CLOUDFLARED_PATH: testing.fakeCloudflaredPath,
          ...edge.env,
          FAKE_CFD_SCENARIO: 'ok',
        });
        expect(testing.fakeCloudflaredPath.startsWith(consumer)).toBe(true);
        const t0 = performance.now();
        const server = background('npx', ['band', 'start', '--port', String(port)], consumer, env);
        const [, url] = await server.waitFor(/running at (http:\/\/\S+:\d+)/);
        const { tokenSecret } = JSON.parse(readFileSync(join(home, 'settings.json'), 'utf8')) as {
          tokenSecret: string;
        };
        const page = await fetch(`${url}/`, { headers: { authorization: `Bearer ${tokenSecret}` } });
        figures['band start → first authenticated 200'] = `${Math.round(performance.now() - t0)} ms`;
        expect(page.status).toBe(200);
        expect(page.headers.get('content-type')).toMatch(/^text\/html/);
        const html = await page.text();
        expect(html).toMatch(/^<!DOCTYPE html>/i);
        expect(html).toContain('<title>Band</title>');
        expect(html).toMatch(/\/_next\/static\/chunks\/[^"]+\.js/);
        const chunk = html.match(/\/_next\/static\/chunks\/[^"]+\.js/)![0];
        expect((await fetch(`${url}${chunk}`, { headers: { authorization: `Bearer ${tokenSecret}` } })).status).toBe(
          200,
        );
        // Local requests need the credential too.
        expect((await fetch(`${url}/`, { headers: { accept: 'application/json' } })).status).toBe(401);

        // --- the tunnel, asked of the running server by the CLI ---
        const tunnel = await run('npx', ['band', 'tunnel', 'start'], {
          cwd: consumer,
          env: { ...env, BAND_SERVER_URL: url! },
        });
        expect(tunnel.code, tunnel.stderr).toBe(0);
        const publicUrl = tunnel.stdout.match(/https:\/\/[a-z0-9-]+\.trycloudflare\.com/)?.[0];
        expect(publicUrl, tunnel.stdout).toBeTruthy();
        const hostname = new URL(publicUrl!).hostname;
        await edge.waitForRoute(hostname);
        const remote = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
          const req = httpsRequest(
            {
              host: '127.0.0.1',
              port: edge.port,
              servername: hostname,
              ca: edge.cert,
              path: '/',
              headers: { host: hostname, authorization: `Bearer ${tokenSecret}` },
            },
            (res) => {
              let body = '';
              res.on('data', (c) => (body += c));
              res.on('end', () => resolve({ status: res.statusCode, body }));
            },
          );
          req.on('error', reject);
          req.end();
        });
        expect(remote.status).toBe(200);
        expect(remote.body).toContain('<title>Band</title>');

        await new Promise((resolve) => setTimeout(resolve, 2_000)); // idle: no request in flight
        const rss = groupRssMiB(server.child, /node_modules\/\.bin\/band start/);
        if (rss !== undefined) figures['idle RSS of the installed server'] = `${rss} MiB`;
        // Ctrl+C: the server stops the tunnel and every child, and exits on its own.
        expect(await stop(server.child, 'SIGINT')).toBe(true);
        expect(server.output()).toContain('Band stopped.');
        expect(livePids({ text: consumer })).toEqual([]);
      } finally {
        await edge.close();
      }
    },
  );

  it('npx band-tunnel --url prints the public URL and stops on Ctrl+C', async () => {
    const origin: Server = createHttpServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    const { port } = origin.address() as { port: number };
    try {
      const fake = join(consumer, 'node_modules', '@band', 'tunnel', 'dist', 'testing', 'fake-cloudflared.mjs');
      const tunnel = background(
        'npx',
        ['band-tunnel', '--url', `http://127.0.0.1:${port}`],
        consumer,
        userEnv({ BAND_CLOUDFLARED_PATH: fake, FAKE_CFD_SCENARIO: 'ok' }),
      );
      const [url] = await tunnel.waitFor(/https:\/\/[a-z0-9-]+\.trycloudflare\.com/);
      expect(url).toMatch(/^https:\/\//);
      expect(await stop(tunnel.child, 'SIGINT')).toBe(true);
      expect(tunnel.output()).toContain('stopping tunnel');
      expect(livePids({ text: consumer })).toEqual([]); // no orphaned (fake) cloudflared
    } finally {
      origin.close();
    }
  });

  it('an ESM program embeds @band/tunnel, @band/tunnel/testing and @band/auth', async () => {
    copyFileSync(CONSUMER_SCRIPT, join(consumer, 'consumer.mjs'));
    const r = await run(process.execPath, ['consumer.mjs'], { cwd: consumer });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      tunnel: { url: string; status: number; body: string };
      auth: { anonymous: number; bearer: number; body: string };
    };
    expect(result.tunnel).toEqual({
      url: expect.stringMatching(/^https:\/\/[a-z0-9-]+\.trycloudflare\.com$/),
      status: 200,
      body: 'hello through the edge',
    });
    expect(result.auth).toEqual({ anonymous: 401, bearer: 200, body: 'secret' });
  });
});
