// The built `band` binary against a real Band server (temporary BAND_HOME, ephemeral port).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import http, { type IncomingHttpHeaders } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { fakeAgentEnv } from '@band/agents/testing';
import { fakeCloudflaredEnv, fakeCloudflaredPath, startFakeEdge } from '@band/tunnel/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import {
  BAND_BIN,
  band,
  baseEnv,
  spawnBand,
  spawnCommand,
  startTestServer,
  type TestServer,
  tempDir,
} from './helpers.js';
import { makeRepo, writeBandSettings } from './fixtures.js';

let srv: TestServer;
let edge: Awaited<ReturnType<typeof startFakeEdge>>;
let scratch: Awaited<ReturnType<typeof tempDir>>;
let home: Awaited<ReturnType<typeof tempDir>>;
let repo: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  scratch = await tempDir('band-cli-scratch-');
  home = await tempDir('band-cli-home-');
  await writeBandSettings(home.path);
  repo = await makeRepo(join(scratch.path, 'demo'));
  edge = await startFakeEdge();
  srv = await startTestServer({
    home: home.path,
    env: {
      ...fakeAgentEnv({ scenario: 'ok' }),
      BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
      ...fakeCloudflaredEnv(),
      ...edge.env,
    },
  });
  env = srv.env;
});

afterAll(async () => {
  await srv?.close();
  await edge?.close();
  await home?.cleanup();
  await scratch?.cleanup();
});

const lines = (text: string) => text.trimEnd().split('\n');
const ESC = '\u001b';

/** Runs a shell command under a pseudo-terminal (`script`), stdin piped to it. */
function spawnScript(command: string, env: NodeJS.ProcessEnv) {
  return spawnCommand('script', ['-qec', command, '/dev/null'], { env });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('basics', () => {
  it('prints its version and documents exit codes and environment in --help', async () => {
    const version = await band(['--version'], { env });
    expect(version).toMatchObject({ code: 0, stdout: `${packageJson.version}\n` });
    const help = await band(['--help'], { env });
    expect(help.code).toBe(0);
    for (const text of [
      'Exit codes:',
      '130',
      'server not running',
      'BAND_SERVER_URL',
      'BAND_TOKEN',
      'terminals',
      'chats',
    ])
      expect(help.stdout).toContain(text);
  });

  it('exits 2 on usage errors', async () => {
    expect((await band(['nope'], { env })).code).toBe(2);
    expect((await band(['workspaces', 'create', 'only-one'], { env })).code).toBe(2);
    expect((await band(['--output', 'yaml', 'status'], { env })).code).toBe(2);
    const badEnv = await band(['status'], { env: { ...env, BAND_OUTPUT: 'xml' } });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain('BAND_OUTPUT');
  });

  it('prints completion scripts for bash, zsh and fish', async () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const result = await band(['completion', shell], { env });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('workspaces');
    }
    expect((await band(['completion', 'tcsh'], { env })).code).toBe(2);
  });
});

describe('connection and exit codes', () => {
  it('says the server is not running (exit 3) and how to start it', async () => {
    const result = await band(['status'], {
      env: { ...env, BAND_SERVER_URL: `http://127.0.0.1:${await closedPort()}` },
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/not running/);
    expect(result.stderr).toContain('band start');
    expect(result.stderr).toContain('npm start');
  });

  it(
    'stops before sending a token the local server cannot ' +
      'prove (exit 7), naming where it came from, never the token',
    async () => {
      // Over local http a wrong token fails the server's proof (F11): the CLI cannot tell it from a squatter.
      const wrong = 'f'.repeat(64);
      const fromEnv = await band(['status'], { env: { ...env, BAND_TOKEN: wrong } });
      expect(fromEnv.code).toBe(7);
      expect(fromEnv.stderr).toContain('BAND_TOKEN');
      expect(fromEnv.stderr).toMatch(/the token was not sent/);
      expect(fromEnv.stderr + fromEnv.stdout).not.toContain(wrong);
    },
  );

  it('reports a missing token (exit 4)', async () => {
    const empty = await tempDir();
    const noToken = await band(['status'], { env: { ...env, BAND_HOME: empty.path } });
    await empty.cleanup();
    expect(noToken.code).toBe(4);
    expect(noToken.stderr).toMatch(/no token/);
  });

  it('reads the token from BAND_HOME/settings.json (trimmed) when BAND_TOKEN is unset', async () => {
    const result = await band(['status'], { env });
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(srv.token);
    const padded = await band(['status'], { env: { ...env, BAND_TOKEN: `  ${srv.token}\n` } });
    expect(padded.code).toBe(0);
  });

  it('refuses to send the token over plain HTTP to a remote host', async () => {
    const result = await band(['status'], {
      env: { ...env, BAND_SERVER_URL: 'http://band.example.invalid:3456', BAND_TOKEN: srv.token },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Refusing to send the Band token over plain HTTP to band\.example\.invalid/);
    expect(result.stderr).toContain('https://');
    expect(result.stderr).not.toContain(srv.token);
  });

  it('F11: never sends the token to a port squatter that answers 200 to everything (exit 7)', async () => {
    const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
    const squatter = http.createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      res.setHeader('Content-Type', 'application/json');
      res.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as AddressInfo).port;
    try {
      for (const args of [['status'], ['projects', 'list'], ['chats', 'watch', '--workspace', 'w1']]) {
        const result = await band(args, { env: { ...env, BAND_SERVER_URL: `http://127.0.0.1:${port}` } });
        expect(result.code, args.join(' ')).toBe(7);
        expect(result.stderr).toContain(`The process on port ${port} is not your Band server`);
        expect(result.stderr).toContain('the token was not sent');
        expect(result.stderr + result.stdout).not.toContain(srv.token);
      }
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((r) => r.url.startsWith('/auth/hello?n=') && r.headers.authorization === undefined)).toBe(true);
      expect(JSON.stringify(seen)).not.toContain(srv.token);
    } finally {
      squatter.closeAllConnections();
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  it('F11: refuses an older server without /auth/hello (exit 7) with a hint to upgrade', async () => {
    const old = http.createServer((req, res) => {
      res.statusCode = req.url?.startsWith('/auth/hello') ? 404 : 200;
      res.end();
    });
    await new Promise<void>((resolve) => old.listen(0, '127.0.0.1', resolve));
    const port = (old.address() as AddressInfo).port;
    try {
      const result = await band(['status'], { env: { ...env, BAND_SERVER_URL: `http://127.0.0.1:${port}` } });
      expect(result.code).toBe(7);
      expect(result.stderr).toMatch(/upgrade the Band server/);
    } finally {
      await new Promise<void>((resolve) => old.close(() => resolve()));
    }
  });

  it('has no --token flag (the token is never an argument)', async () => {
    const result = await band(['status', '--token', srv.token], { env });
    expect(result.code).toBe(2);
  });
});

describe('status, settings, open, devices', () => {
  it('shows the server status as text and JSON', async () => {
    const text = await band(['status'], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`is running at ${srv.url}`);
    expect(text.stdout).toMatch(/tunnel: +stopped/);
    expect(text.stdout).not.toContain(ESC);
    const json = await band(['status', '--output', 'json'], { env });
    const data = JSON.parse(json.stdout);
    expect(data).toMatchObject({ url: srv.url, health: { ok: true, name: 'band' }, tunnel: { state: 'stopped' } });
    // BAND_OUTPUT is the default; the flag wins over it.
    expect(JSON.parse((await band(['status'], { env: { ...env, BAND_OUTPUT: 'json' } })).stdout).health.ok).toBe(true);
    expect((await band(['status', '--output', 'text'], { env: { ...env, BAND_OUTPUT: 'json' } })).stdout).toContain(
      'is running',
    );
  });

  it('prints settings as pretty JSON, with the token redacted', async () => {
    const text = await band(['settings'], { env });
    expect(text.code).toBe(0);
    expect(text.stdout.endsWith('}\n')).toBe(true);
    const settings = JSON.parse(text.stdout);
    expect(settings.webServerPort).toBeTypeOf('number');
    expect(settings.defaultCodingAgent).toBe('fake');
    expect(text.stdout).not.toContain(srv.token);
    const json = await band(['settings', '--output', 'json'], { env });
    expect(json.stdout.endsWith('}')).toBe(true);
    expect(JSON.parse(json.stdout)).toEqual(settings);
  });

  it('sets a setting, validated by the schema (exit 6 when invalid)', async () => {
    const set = await band(['settings', 'set', 'notifications.soundOnNeedsAttention', 'false'], { env });
    expect(set.code).toBe(0);
    expect(set.stdout).toBe('notifications.soundOnNeedsAttention = false\n');
    expect(
      JSON.parse((await band(['settings', '--output', 'json'], { env })).stdout).notifications.soundOnNeedsAttention,
    ).toBe(false);
    const json = await band(['settings', 'set', 'autoStartTunnel', 'false', '--output', 'json'], { env });
    expect(JSON.parse(json.stdout).autoStartTunnel).toBe(false);

    const bad = await band(['settings', 'set', 'webServerPort', 'not-a-port'], { env });
    expect(bad.code).toBe(6);
    expect(bad.stderr).toMatch(/^error: /m);
    const unknown = await band(['settings', 'set', 'noSuchSetting', '1'], { env });
    expect(unknown.code).toBe(6);
  });

  it(
    'opens the dashboard through a 0600 redirect file (no code in ' +
      'the browser argv), waits for the sign-in, then removes the file',
    async () => {
      const dir = await tempDir();
      const script = join(dir.path, 'browser.mjs');
      const seen = join(dir.path, 'seen.json');
      // A browser: records its argv and the file's mode, follows the redirect and redeems the code like /pair does.
      await writeFile(
        script,
        `#!${process.execPath}
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
const arg = process.argv[2];
const file = fileURLToPath(arg);
const html = readFileSync(file, 'utf8');
writeFileSync(${JSON.stringify(seen)}, JSON.stringify({ argv: process.argv.slice(2), mode: statSync(file).mode & \
0o777, file }));
const url = new URL(/location\\.replace\\("([^"]+)"\\)/.exec(html)[1]);
const code = new URLSearchParams(url.hash.slice(1)).get('c');
const req = request({ host: url.hostname, port: url.port, path: '/auth/pair', method: 'POST', headers: { \
'content-type': 'application/json', origin: url.origin } }, (res) => { res.resume(); res.on('end', () => \
process.exit(res.statusCode === 204 ? 0 : 1)); });
req.end(JSON.stringify({ code }));
`,
      );
      await chmod(script, 0o755);
      const devicesBefore = srv.server.gate.listDevices().length;
      const result = await band(['open'], { env: { ...env, BROWSER: script } });
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/Signed in\./);
      const record = JSON.parse(await readFile(seen, 'utf8')) as { argv: string[]; mode: number; file: string };
      expect(record.argv).toHaveLength(1);
      expect(record.argv[0]).toMatch(/^file:\/\/.*\/band-open-[0-9a-f]{16}\.html$/);
      expect(record.argv.join(' ')).not.toMatch(/#c=|pair/);
      expect(record.mode).toBe(0o600);
      expect(existsSync(record.file)).toBe(false);
      expect(srv.server.gate.listDevices().length).toBe(devicesBefore + 1);
      await dir.cleanup();
    },
  );

  it('prints the link when no opener exists', async () => {
    const result = await band(['open'], { env: { ...env, PATH: '/nonexistent' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^${srv.url}/pair#c=\\S+\\n$`));
    expect(result.stderr).toMatch(/No browser opener/);
    const json = await band(['open', '--print', '--output', 'json'], { env });
    expect(JSON.parse(json.stdout)).toMatchObject({
      url: expect.stringContaining('/pair#c='),
      code: expect.any(String),
    });
  });

  it('lists devices as a table and as JSON', async () => {
    const text = await band(['devices', 'list'], { env });
    expect(text.code).toBe(0);
    expect(lines(text.stdout)[0]).toMatch(/^ID\s+LISTENER\s+LABEL\s+ADDRESS\s+LAST SEEN$/);
    expect(Array.isArray(JSON.parse((await band(['devices', 'list', '--output', 'json'], { env })).stdout))).toBe(true);
    expect((await band(['devices', 'revoke', 'no-such-device'], { env })).code).toBe(5);
  });
});

describe('tunnel', () => {
  it('starts with only the URL on stdout, reports status, draws a QR code and stops', async () => {
    const before = await band(['tunnel', 'status', '--output', 'json'], { env });
    expect(JSON.parse(before.stdout).state).toBe('stopped');

    const start = await band(['tunnel', 'start', '--qr'], { env, timeoutMs: 40_000 });
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toMatch(/^https:\/\/[a-z0-9-]+\.trycloudflare\.com\n$/);
    expect(start.stderr).toContain('Starting the tunnel');
    expect(start.stderr).toMatch(/\/pair#c=/);
    expect(start.stderr).toMatch(/[▄▀█]/);
    const url = start.stdout.trim();
    expect(start.stdout).not.toContain('pair#c=');

    const status = await band(['tunnel', 'status'], { env });
    expect(status.stdout).toMatch(/state: +ready/);
    expect(status.stdout).toMatch(/cloudflared: +\d{4}\.\d+\.\d+/);
    expect(status.stdout).toContain(url);

    const stop = await band(['tunnel', 'stop', '--output', 'json'], { env });
    expect(stop.code).toBe(0);
    expect(JSON.parse(stop.stdout).state).toBe('stopped');
    expect((await band(['tunnel', 'status'], { env })).stdout).toMatch(/state: +stopped/);
  }, 120_000);
});

describe('projects, workspaces, terminals and chats', () => {
  let wsPath: string;
  let wsId: string;

  it('adds, lists and refuses bad projects', async () => {
    const add = await band(['projects', 'add', repo], { env });
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toBe('demo\n');
    const again = await band(['projects', 'add', '.'], { env, cwd: repo });
    expect(again.code).toBe(0);
    const list = await band(['projects', 'list'], { env });
    expect(lines(list.stdout)[0]).toMatch(/^NAME\s+DEFAULT BRANCH\s+PATH$/);
    expect(list.stdout).toMatch(/demo\s+main\s+/);
    const json = JSON.parse((await band(['projects', 'list', '--output', 'json'], { env })).stdout);
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ name: 'demo', defaultBranch: 'main' });

    const notRepo = await band(['projects', 'add', scratch.path], { env });
    expect([5, 6]).toContain(notRepo.code);
    expect((await band(['projects', 'remove', 'no-such-project'], { env })).code).toBe(5);
  });

  it('creates a workspace, idempotently, and lists it with PROJECT BRANCH WORKSPACE ID PATH', async () => {
    const create = await band(['workspaces', 'create', 'demo', 'feat/login'], { env });
    expect(create.code, create.stderr).toBe(0);
    wsPath = create.stdout.trim();
    expect(existsSync(join(wsPath, 'README.md'))).toBe(true);
    expect(create.stderr).toContain('Creating workspace');

    const again = await band(['workspaces', 'create', 'demo', 'feat/login', '--output', 'json'], { env });
    expect(JSON.parse(again.stdout)).toMatchObject({ created: false, workspace: { path: wsPath } });

    const list = await band(['workspaces', 'list'], { env });
    expect(lines(list.stdout)[0]).toMatch(/^PROJECT\s+BRANCH\s+WORKSPACE ID\s+PATH$/);
    const row = lines(list.stdout).find((l) => l.includes('feat/login'))!;
    wsId = row.split(/\s+/)[2]!;
    expect(wsId).toMatch(/^ws_/);
    const json = JSON.parse((await band(['workspaces', 'list', 'demo', '--output', 'json'], { env })).stdout);
    expect(json.map((w: { id: string }) => w.id)).toEqual([wsId]);

    expect((await band(['workspaces', 'create', 'no-such-project', 'x'], { env })).code).toBe(5);
    expect((await band(['workspaces', 'create', 'demo', 'bad..branch'], { env })).code).toBe(6);
    expect((await band(['workspaces', 'create', 'demo', 'x', '--max-turns', 'many'], { env })).code).toBe(2);
  });

  it('runs terminals in the workspace of the current directory', async () => {
    const create = await band(['terminals', 'create'], { env, cwd: wsPath });
    expect(create.code, create.stderr).toBe(0);
    const id = create.stdout.trim();
    expect(id).toMatch(/^t_[0-9a-z]+$/);

    const list = await band(['terminals', 'list'], { env, cwd: join(wsPath) });
    expect(lines(list.stdout)[0]).toMatch(/^ID\s+WORKSPACE ID\s+STATUS\s+COMMAND\s+CWD\s+CREATED$/);
    expect(list.stdout).toContain(id);
    const json = JSON.parse((await band(['terminals', 'list', wsId, '--output', 'json'], { env })).stdout);
    expect(json[0]).toMatchObject({ id, workspaceId: wsId, status: 'running' });

    // The default terminal is the workspace's first; \n is Enter.
    const send = await band(['terminals', 'send', '--data', 'echo band-$((40+2))\\n'], { env, cwd: wsPath });
    expect(send.code, send.stderr).toBe(0);
    await vi.waitFor(
      async () => {
        const out = await band(['terminals', 'output', id, '--lines', '20'], { env });
        expect(out.stdout).toContain('band-42');
      },
      // A new shell reads its rc files (pyenv and the like) before the typed line runs: seconds on a loaded machine.
      { timeout: 60_000, interval: 500 },
    );
    const outJson = JSON.parse(
      (await band(['terminals', 'output', '--lines', '5', '--output', 'json'], { env, cwd: wsPath })).stdout,
    );
    expect(outJson).toMatchObject({ id, status: 'running' });
    expect(outJson.lines.length).toBeLessThanOrEqual(5);

    // attach: output to stdout, keys to the shell, Ctrl+C detaches and the terminal keeps running.
    const attach = spawnBand(['terminals', 'attach', id], { env });
    await attach.waitFor(/attached to/, 'stderr');
    attach.process.stdin!.write('echo attached-$((6*7))\n');
    await attach.waitFor(/attached-42/);
    attach.process.stdin!.write('\u0003');
    const attached = await attach.done;
    expect(attached.code).toBe(0);
    expect(attached.stderr).toContain('detached');
    expect(JSON.parse((await band(['terminals', 'list', wsId, '--output', 'json'], { env })).stdout)[0].status).toBe(
      'running',
    );

    // Under a real terminal (script gives band a PTY): raw mode, so Ctrl+C goes to the shell and the detach key
    // works without Enter.
    const tty = spawnScript(`"${process.execPath}" "${BAND_BIN}" terminals attach ${id} --detach-key ctrl-]`, env);
    await tty.waitFor(/attached to/);
    // Ctrl+C must reach the shell's terminal as a byte instead of detaching. With ISIG off in the remote PTY,
    // `cat -v` prints it back; the computed "ready-2" proves stty ran before the byte is typed (signal delivery
    // inside the remote PTY is the kernel's business, and racy to assert).
    tty.process.stdin!.write('stty -isig; echo ready-$((1+1)); cat -v\r');
    await tty.waitFor(/ready-2/);
    tty.process.stdin!.write('x\u0003y\r');
    // Once as the terminal's echo of the typed line, once as cat's output.
    await tty.waitFor(/x\^Cy[\s\S]*x\^Cy/);
    tty.process.stdin!.write('\u0004');
    tty.process.stdin!.write('stty isig; echo after-$((40+2))\r');
    await tty.waitFor(/after-42/);
    tty.process.stdin!.write('\u001d');
    expect((await tty.done).code).toBe(0);
    expect(tty.stdout()).toContain('detached from');

    // output --follow streams until Ctrl+C (exit 130), the terminal keeps running.
    const follow = spawnBand(['terminals', 'output', id, '--follow', '--lines', '1'], { env });
    await vi.waitFor(() => expect(follow.stdout().length).toBeGreaterThan(0), { timeout: 10_000 });
    await band(['terminals', 'send', id, '--data', 'echo followed-$((1+1))\\r'], { env });
    await follow.waitFor(/followed-2/);
    follow.process.kill('SIGINT');
    expect((await follow.done).code).toBe(130);

    const kill = await band(['terminals', 'kill', id], { env });
    expect(kill.code).toBe(0);
    expect(kill.stdout).toBe(`Killed ${id}\n`);
    expect((await band(['terminals', 'output', id], { env })).code).toBe(5);
    expect((await band(['terminals', 'create', wsId, '--cwd', 'no-such-dir'], { env })).code).toBe(6);
    expect((await band(['terminals', 'kill'], { env, cwd: wsPath })).code).toBe(5);
  }, 180_000);

  it('sends to the active chat (created on first send), watches the turn and shows history', async () => {
    const send = await band(['chats', 'send', '--message', 'hello agent', '--watch'], { env, cwd: wsPath });
    expect(send.code, send.stderr).toBe(0);
    expect(send.stdout).toContain('> hello agent');
    expect(send.stdout).toContain('[turn done]');

    const list = await band(['chats', 'list'], { env, cwd: wsPath });
    expect(lines(list.stdout)[0]).toMatch(/^ID\s+WORKSPACE ID\s+AGENT\s+MODEL\s+MODE\s+STATUS\s+TITLE$/);
    const chatId = lines(list.stdout)[1]!.split(/\s+/)[0]!;
    expect(chatId).toMatch(/^chat_/);

    // Without --watch, the same active chat; stdout is its id.
    const again = await band(['chats', 'send', '--workspace', wsId, '--message', 'second'], { env });
    expect(again.stdout).toBe(`${chatId}\n`);
    await vi.waitFor(
      async () => {
        const history = JSON.parse((await band(['chats', 'history', chatId, '--output', 'json'], { env })).stdout);
        expect(history.turns.map((t: { status: string }) => t.status)).toEqual(['done', 'done']);
      },
      { timeout: 20_000, interval: 250 },
    );
    const history = await band(['chats', 'history'], { env, cwd: wsPath });
    expect(history.stdout).toContain('> hello agent');
    expect(history.stdout).toContain('> second');

    const jsonWatch = await band(['chats', 'send', chatId, '--message', 'third', '--watch', '--output', 'json'], {
      env,
    });
    expect(jsonWatch.code).toBe(0);
    const events = lines(jsonWatch.stdout).map((l) => JSON.parse(l));
    expect(events[0].event).toMatchObject({ type: 'user-message', text: 'third' });
    expect(events.at(-1).event).toMatchObject({ type: 'turn-end', status: 'done' });

    const created = await band(['chats', 'create', wsId, '--name', 'Review', '--mode', 'plan'], { env });
    expect(created.stdout).toMatch(/^chat_\S+\n$/);
    expect((await band(['chats', 'create', wsId, '--agent', 'no-such-agent'], { env })).code).toBe(6);
    const abort = await band(['chats', 'abort', chatId], { env });
    expect(abort).toMatchObject({ code: 0, stdout: 'Nothing was running\n' });
    expect(await band(['chats', 'resume', chatId], { env })).toMatchObject({ code: 0, stdout: 'Nothing was paused\n' });
    const firstTurn = JSON.parse((await band(['chats', 'history', chatId, '--output', 'json'], { env })).stdout)
      .turns[0].id;
    const discard = await band(['chats', 'discard', firstTurn, chatId], { env });
    expect(discard.code, 'a finished turn cannot be discarded').not.toBe(0);
    expect(discard.stderr).toContain('not queued');
    expect((await band(['chats', 'history', 'chat_nope'], { env })).code).toBe(5);
  }, 180_000);

  it('sends files with --attach: uploaded, listed under the message; ' +
    'a file that lies about being an image is refused', async () => {
    const png = join(scratch.path, 'shot.png');
    const notes = join(scratch.path, 'notes.txt');
    const fake = join(scratch.path, 'fake.png');
    await writeFile(
      png,
      Buffer.from(
        'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
        'base64',
      ),
    );
    await writeFile(notes, 'notes\n');
    await writeFile(fake, 'not a png');
    const send = await band(
      ['chats', 'send', '--workspace', wsId, '--message', 'see attached', '--attach', png, notes, '--watch'],
      { env },
    );
    expect(send.code, send.stderr).toBe(0);
    expect(send.stdout).toContain('> see attached');
    expect(send.stdout).toContain('+ shot.png (70 bytes)');
    expect(send.stdout).toContain('+ notes.txt (6 bytes)');
    const bad = await band(['chats', 'send', '--workspace', wsId, '--message', 'and this', '--attach', fake], { env });
    expect(bad.code).toBe(6);
    expect(bad.stderr).toContain('fake.png says it is image/png');
    const missing = await band(
      ['chats', 'send', '--workspace', wsId, '--message', 'and this', '--attach', join(scratch.path, 'nope.png')],
      { env },
    );
    expect(missing.code).toBe(6);
    expect(missing.stderr).toContain('Cannot read');
  }, 60_000);

  it('starts a chat with the first prompt of workspaces create --prompt', async () => {
    const create = await band(
      [
        'workspaces',
        'create',
        'demo',
        'feat/prompted',
        '--prompt',
        'Plan the login page',
        '--mode',
        'plan',
        '--output',
        'json',
      ],
      { env },
    );
    expect(create.code, create.stderr).toBe(0);
    const workspace = JSON.parse(create.stdout).workspace;
    await vi.waitFor(
      async () => {
        const chats = JSON.parse((await band(['chats', 'list', workspace.id, '--output', 'json'], { env })).stdout);
        expect(chats).toHaveLength(1);
        expect(chats[0]).toMatchObject({ mode: 'plan', agentId: 'fake' });
      },
      { timeout: 20_000, interval: 250 },
    );
    expect((await band(['workspaces', 'remove', 'demo', 'feat/prompted'], { env })).code).toBe(0);
  }, 120_000);

  it('says when the current directory is in no workspace (exit 5)', async () => {
    const result = await band(['chats', 'send', '--message', 'x'], { env, cwd: scratch.path });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('not inside a Band workspace');
    expect(result.stderr).toMatch(/hint: /);
  });

  it('removes the workspace and the project', async () => {
    const remove = await band(['workspaces', 'remove', 'demo', 'feat/login'], { env });
    expect(remove.code, remove.stderr).toBe(0);
    expect(existsSync(wsPath)).toBe(false);
    expect((await band(['workspaces', 'remove', 'demo', 'feat/login'], { env })).code).toBe(5);
    const project = await band(['projects', 'remove', 'demo', '--output', 'json'], { env });
    expect(project.code, project.stderr).toBe(0);
    expect(JSON.parse((await band(['projects', 'list', '--output', 'json'], { env })).stdout)).toEqual([]);
  });
});

describe('input validation by the schema', () => {
  it('exits 6 with the field and the problem when the router schema refuses the input', async () => {
    const badId = await band(['terminals', 'output', 'not-an-id'], { env });
    expect(badId.code).toBe(6);
    expect(badId.stderr).toMatch(/^error: Invalid input: id: a terminal id looks like t_abc123$/m);
    const badMode = await band(['chats', 'create', 'ws_x', '--mode', 'not a mode!'], { env });
    expect(badMode.code).toBe(6);
    expect(badMode.stderr).toContain('mode');
  });
});

describe('colours', () => {
  it('uses no colours when stdout is not a terminal', async () => {
    const result = await band(['devices', 'list'], { env: baseEnv({ ...env, FORCE_COLOR: '1' }) });
    expect(result.stdout).not.toContain(ESC);
  });

  it('uses colours on a terminal, unless NO_COLOR is set', async () => {
    // `script` runs band under a pseudo-terminal.
    const underTty = (extra: NodeJS.ProcessEnv) =>
      new Promise<string>((resolve, reject) => {
        execFile(
          'script',
          ['-qec', `"${process.execPath}" "${BAND_BIN}" devices list`, '/dev/null'],
          { env: { ...env, ...extra } },
          (error, stdout) => (error ? reject(error) : resolve(stdout)),
        );
      });
    expect(await underTty({})).toContain(`${ESC}[1mID`);
    expect(await underTty({ NO_COLOR: '1' })).not.toContain(ESC);
  });
});
