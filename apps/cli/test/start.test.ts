// `band start`: the server in the foreground, stopped by SIGINT/SIGTERM.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { reportMissing } from '../../../tooling/testing/prerequisites.js';
import { BAND_BIN, band, baseEnv, spawnBand, tempDir } from './helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('band start', () => {
  it('runs the server headless, prints its URL and a one-time sign-in link, and stops on SIGINT', async () => {
    const home = await tempDir('band-cli-start-');
    cleanups.push(home.cleanup);
    const env = baseEnv({ BAND_HOME: home.path });
    const server = spawnBand(['start', '--port', '0'], { env, timeoutMs: 90_000 });
    cleanups.push(async () => {
      if (server.process.exitCode === null) server.process.kill('SIGKILL');
    });
    await server.waitFor(/Band is running at (http:\/\/127\.0\.0\.1:\d+)/, 'stdout', 60_000);
    const url = /Band is running at (http:\/\/127\.0\.0\.1:\d+)/.exec(server.stdout())![1]!;
    expect(server.stdout()).toMatch(new RegExp(`${url}/pair#c=\\S+`));

    // The CLI finds it through BAND_SERVER_URL and the token in the new settings.json.
    const status = await band(['status', '--output', 'json'], { env: { ...env, BAND_SERVER_URL: url } });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).health.ok).toBe(true);

    server.process.kill('SIGINT');
    const result = await server.done;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/Band stopped/);
    expect((await band(['status'], { env: { ...env, BAND_SERVER_URL: url } })).code).toBe(3);
  });

  it('keeps serving when --tunnel cannot start, and `tunnel start` then exits 1 with the fix', async () => {
    const home = await tempDir('band-cli-start-');
    cleanups.push(home.cleanup);
    const env = baseEnv({
      BAND_HOME: home.path,
      BAND_CLOUDFLARED_PATH: '/nonexistent/cloudflared',
      PATH: '/usr/bin:/bin',
    });
    const server = spawnBand(['start', '--port', '0', '--tunnel'], { env, timeoutMs: 90_000 });
    cleanups.push(async () => {
      if (server.process.exitCode === null) server.process.kill('SIGKILL');
    });
    await server.waitFor(/Band is running at (http:\/\/127\.0\.0\.1:\d+)/, 'stdout', 60_000);
    expect(server.stderr()).toMatch(/error: .*cloudflared/i);
    expect(server.stdout()).not.toContain('Tunnel:');
    const url = /Band is running at (http:\/\/127\.0\.0\.1:\d+)/.exec(server.stdout())![1]!;
    const tunnel = await band(['tunnel', 'start'], { env: { ...env, BAND_SERVER_URL: url }, timeoutMs: 60_000 });
    expect(tunnel.code).toBe(1);
    expect(tunnel.stdout).toBe('');
    expect(tunnel.stderr).toMatch(/cloudflared/i);
    expect(tunnel.stderr).toMatch(/hint: /);
    server.process.kill('SIGTERM');
    expect((await server.done).code).toBe(0);
  });

  it(
    '`band start | head -1`: when the reader of stdout goes away, ' +
      'it stops in order (as on SIGTERM), never mid-flight',
    async () => {
      const home = await tempDir('band-cli-start-');
      cleanups.push(home.cleanup);
      // stdout is a pipe whose reader is gone before band writes anything: every write to it fails with EPIPE.
      const proc = spawn(process.execPath, [BAND_BIN, 'start', '--port', '0'], {
        env: baseEnv({ BAND_HOME: home.path }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      proc.stdout.destroy();
      cleanups.push(async () => {
        if (proc.exitCode === null) proc.kill('SIGKILL');
      });
      let stderr = '';
      proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const [code] = (await once(proc, 'exit')) as [number | null];
      // The whole shutdown ran (server, tunnel, agents, terminals), not a process.exit() half-way through the start.
      expect(stderr).toMatch(/Stopping Band…[\s\S]*Band stopped\./);
      expect(stderr).not.toMatch(/bug in band|EPIPE|ERR_STREAM/);
      expect(code).toBe(0);
    },
  );

  it('`band start 2>&1 | head -1`: with stdout and stderr both gone it still stops in order, and exits 0', async () => {
    const home = await tempDir('band-cli-start-');
    cleanups.push(home.cleanup);
    const proc = spawn(process.execPath, [BAND_BIN, 'start', '--port', '0'], {
      env: baseEnv({ BAND_HOME: home.path }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout.destroy();
    proc.stderr.destroy();
    cleanups.push(async () => {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    });
    const [code] = (await once(proc, 'exit')) as [number | null];
    expect(code).toBe(0);
    // Stopped by itself, settings.json written on the way (the server started, then stopped).
    expect(existsSync(join(home.path, 'settings.json'))).toBe(true);
  });

  it('refuses a bad --port (exit 2) and reports a busy port (exit 1)', async () => {
    const home = await tempDir('band-cli-start-');
    cleanups.push(home.cleanup);
    const env = baseEnv({ BAND_HOME: home.path });
    expect((await band(['start', '--port', 'http'], { env })).code).toBe(2);
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => busy.close(() => resolve())));
    const port = (busy.address() as { port: number }).port;
    const result = await band(['start', '--port', String(port)], { env, timeoutMs: 60_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Port ${port} is already in use`);
    expect(result.stderr).toMatch(/hint: /);
  });

  it(
    'refuses to start when another process holds [::1]:<port> ' + '(issue 16 #1), naming the port and webServerPort',
    async () => {
      const home = await tempDir('band-cli-start-');
      cleanups.push(home.cleanup);
      const squatter = createServer();
      const listened = await new Promise<boolean>((resolve) => {
        squatter.once('error', () => resolve(false));
        squatter.listen({ port: 0, host: '::1', ipv6Only: true }, () => resolve(true));
      });
      if (!listened) {
        reportMissing('needs an IPv6 loopback (::1) to run the squatter');
        return;
      }
      cleanups.push(() => new Promise((resolve) => squatter.close(() => resolve())));
      const port = (squatter.address() as { port: number }).port;
      const result = await band(['start', '--port', String(port)], {
        env: baseEnv({ BAND_HOME: home.path }),
        timeoutMs: 60_000,
      });
      expect(result.code).toBe(1);
      expect(result.stdout).not.toMatch(/running at/);
      expect(result.stderr).toContain(`Port ${port} is taken on [::1] by another process (webServerPort in`);
      expect(result.stderr).toMatch(/hint: .*band settings set webServerPort/);
    },
  );
});

describe('a corrupt settings.json', () => {
  it('`band start` and `band token rotate` say what is wrong and the fix once, exit 1, leave the file', async () => {
    const home = await tempDir('band-cli-start-');
    cleanups.push(home.cleanup);
    const file = join(home.path, 'settings.json');
    const corrupt = '{"webServerPort": 3456,';
    await writeFile(file, corrupt, { mode: 0o600 });
    const env = baseEnv({ BAND_HOME: home.path });
    for (const args of [
      ['start', '--port', '0'],
      ['token', 'rotate'],
    ]) {
      const result = await band(args, { env, timeoutMs: 60_000 });
      expect(result.code, `band ${args.join(' ')}: ${result.stderr}`).toBe(1);
      expect(result.stderr).toContain(`error: ${file} is not valid JSON`);
      // The fix is the hint, printed once; the message does not carry it too.
      expect(result.stderr.match(/repair the JSON/g)).toHaveLength(1);
      expect(result.stderr).toMatch(/hint: repair the JSON in /);
      expect(result.stderr).not.toContain('fix:');
      expect(result.stderr).not.toContain('looks like a bug');
      expect(await readFile(file, 'utf8')).toBe(corrupt);
    }
  });
});
