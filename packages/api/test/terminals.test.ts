import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { createContextInner } from '../src/context.js';
import { createCaller } from '../src/root.js';
import { createTerminalInput, sendTerminalInput, terminalOutputInput } from '../src/terminals/terminals-router.js';
import type { Services } from '../src/create-services.js';
import { createTerminalService, terminalDefaults } from '../src/terminals/terminal-service.js';
import type { TerminalService } from '../src/terminals/terminal-types.js';
import { isProcessAlive, listProcessTree } from '../src/internal/process-tree.js';
import { createSocketBudget, SOCKET_CLOSE } from '../src/internal/socket-caps.js';
import { createTerminalSocketRoute } from '../src/terminals/terminal-socket.js';
import { connect, rootPrincipal, startTestServer, tempDir, waitFor } from './helpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  options: {
    maxSockets?: number;
    maxTerminalsPerOwner?: number;
    heartbeatMs?: number;
    scrollbackBytes?: number;
    env?: NodeJS.ProcessEnv;
  } = {},
) {
  const dir = await tempDir();
  cleanups.push(() => dir[Symbol.asyncDispose]());
  const workspace = path.join(dir.path, 'worktree');
  await mkdir(path.join(workspace, 'src'), { recursive: true });
  const terminals = createTerminalService({
    resolveWorkspacePath: async (id) => {
      if (id !== 'ws_test') throw Object.assign(new Error('unknown'), { hint: 'no such workspace' });
      return workspace;
    },
    shell: '/bin/bash',
    shellArgs: ['--norc', '--noprofile'],
    env: { PATH: process.env.PATH, HOME: dir.path, PS1: '$ ', LANG: 'C.UTF-8', ...options.env },
    maxTerminalsPerOwner: options.maxTerminalsPerOwner,
    scrollbackBytes: options.scrollbackBytes,
  });
  cleanups.push(() => terminals.close());
  const sockets = createSocketBudget(options.maxSockets);
  const server = await startTestServer([
    createTerminalSocketRoute({ terminals, sockets, heartbeatMs: options.heartbeatMs }),
  ]);
  cleanups.push(() => server.close());
  const caller = createCaller(
    createContextInner({ principal: rootPrincipal, services: { terminals } as unknown as Services }),
  );
  return { dir: dir.path, workspace, terminals, server, caller, sockets };
}

const waitForOutput = (get: () => string, needle: string | RegExp) =>
  waitFor(
    () => {
      const text = get();
      if (typeof needle === 'string' ? !text.includes(needle) : !needle.test(text))
        throw new Error(`waiting for ${needle} in ${JSON.stringify(text.slice(-300))}`);
    },
    { timeout: 20_000, interval: 20 },
  );

describe('terminals over the API and WebSocket', () => {
  it('runs echo in a shell created through tRPC and streams the output to two viewers', async () => {
    const { server, caller } = await setup();
    const terminal = await caller.terminals.create({ workspaceId: 'ws_test' });
    expect(terminal.id).toMatch(/^t_[0-9a-z]{10}$/);
    const a = connect(server.wsUrl(`/api/terminals/${terminal.id}`));
    const b = connect(server.wsUrl(`/api/terminals/${terminal.id}`));
    await Promise.all([a.opened, b.opened]);
    await waitFor(() => expect(a.messages[0]?.type).toBe('attached'));
    await waitFor(() => expect(b.messages[0]?.type).toBe('attached'));
    a.sendJson({ type: 'input', data: 'echo hello-$((6*7))\r' });
    await waitForOutput(a.output, 'hello-42');
    await waitForOutput(b.output, 'hello-42');
    expect((await caller.terminals.list({ workspaceId: 'ws_test' }))[0]).toMatchObject({
      id: terminal.id,
      status: 'running',
      viewers: 2,
    });
  });

  it('starts in the worktree, or a subdirectory of it, and runs the given command at spawn', async () => {
    const { caller, workspace } = await setup();
    const root = await caller.terminals.create({ workspaceId: 'ws_test', command: 'pwd' });
    const sub = await caller.terminals.create({
      workspaceId: 'ws_test',
      cwd: 'src',
      command: 'pwd; echo from-$BAND_TERMINAL_ID',
    });
    expect(root.cwd).toBe(workspace);
    expect(sub.cwd).toBe(path.join(workspace, 'src'));
    await waitFor(async () => expect((await caller.terminals.output({ id: root.id })).lines).toContain(workspace));
    await waitFor(async () => {
      const { lines } = await caller.terminals.output({ id: sub.id });
      expect(lines).toContain(path.join(workspace, 'src'));
      expect(lines).toContain(`from-${sub.id}`);
    });
  });

  it(
    'a shell never sees the server BAND_* variables (BAND_TOKEN...), ' + 'only its own workspace and terminal ids',
    async () => {
      const { caller } = await setup({
        env: {
          BAND_TOKEN: 'e'.repeat(64),
          BAND_HOME: '/tmp/band-home',
          BAND_SERVER_URL: 'http://127.0.0.1:1',
          KEEP_ME: 'kept',
        },
      });
      const terminal = await caller.terminals.create({
        workspaceId: 'ws_test',
        command: 'env | grep -i "^band_" | cut -d= -f1 | sort | tr "\\n" " "; echo "[end] $KEEP_ME"',
      });
      await waitFor(async () => {
        const { lines } = await caller.terminals.output({ id: terminal.id });
        expect(lines.find((l) => l.includes('[end] kept'))).toBe('BAND_TERMINAL_ID BAND_WORKSPACE_ID [end] kept');
      });
    },
  );

  it('refuses working directories that leave the worktree, including through a symlink', async () => {
    const { caller, workspace, dir } = await setup();
    await symlink(dir, path.join(workspace, 'escape'));
    for (const cwd of ['..', '../..', '/etc', 'escape', 'src/../../']) {
      await expect(caller.terminals.create({ workspaceId: 'ws_test', cwd })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    }
    await expect(caller.terminals.create({ workspaceId: 'ws_test', cwd: 'missing' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(caller.terminals.create({ workspaceId: 'ws_test', cwd: 'a\0b' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(caller.terminals.create({ workspaceId: 'ws_nope' })).rejects.toThrow(/unknown/);
    expect(await caller.terminals.list()).toEqual([]);
  });

  it('delivers a resize to the program (stty size) and tells the other viewers', async () => {
    const { server, caller } = await setup();
    const terminal = await caller.terminals.create({ workspaceId: 'ws_test', cols: 80, rows: 24 });
    const a = connect(server.wsUrl(`/api/terminals/${terminal.id}`));
    const b = connect(server.wsUrl(`/api/terminals/${terminal.id}`));
    await Promise.all([a.opened, b.opened]);
    await waitFor(() => expect(b.messages[0]?.type).toBe('attached'));
    a.sendJson({ type: 'resize', cols: 100, rows: 40 });
    await waitFor(() => expect(b.messages).toContainEqual({ type: 'resize', cols: 100, rows: 40 }));
    a.sendJson({ type: 'input', data: 'stty size\r' });
    await waitForOutput(a.output, '40 100');
    a.sendJson({ type: 'resize', cols: 0, rows: 40 });
    await waitFor(() => expect(a.messages.at(-1)).toMatchObject({ type: 'error', code: 'BAD_TERMINAL_SIZE' }));
    const resized = await caller.terminals.resize({ id: terminal.id, cols: 90, rows: 30 });
    expect(resized).toMatchObject({ cols: 90, rows: 30 });
  });

  it('replays the scrollback to a viewer that reconnects, and skips it with ?replay=0', async () => {
    const { server, caller } = await setup();
    const terminal = await caller.terminals.create({ workspaceId: 'ws_test' });
    const first = connect(server.wsUrl(`/api/terminals/${terminal.id}`));
    await first.opened;
    first.sendJson({ type: 'input', data: 'echo before-$((1+1))\r' });
    await waitForOutput(first.output, 'before-2');
    first.ws.close();
    await first.closed;
    await caller.terminals.send({ id: terminal.id, data: 'echo while-away-$((2+2))\r' });
    await waitFor(async () =>
      expect((await caller.terminals.output({ id: terminal.id })).lines.join('\n')).toContain('while-away-4'),
    );

    const again = connect(server.wsUrl(`/api/terminals/${terminal.id}`));
    await waitForOutput(again.output, 'while-away-4');
    expect(again.output()).toContain('before-2');
    const attached = again.messages[0]!;
    expect(attached.type).toBe('attached');
    expect(attached.replayBytes).toBeGreaterThan(0);
    expect(Buffer.byteLength(again.output())).toBeGreaterThanOrEqual(attached.replayBytes);

    const live = connect(server.wsUrl(`/api/terminals/${terminal.id}?replay=0`));
    await waitFor(() => expect(live.messages[0]).toMatchObject({ type: 'attached', replayBytes: 0 }));
    live.sendJson({ type: 'input', data: 'echo live-$((3+3))\r' });
    await waitForOutput(live.output, 'live-6');
    expect(live.output()).not.toContain('before-2');
  });

  it('keeps the scrollback bounded in bytes and reads the last N lines without colours', async () => {
    const { caller } = await setup({ scrollbackBytes: 4096 });
    const terminal = await caller.terminals.create({ workspaceId: 'ws_test' });
    await caller.terminals.send({
      id: terminal.id,
      data: "for i in $(seq 1 2000); do printf '\\033[31mline-%d\\033[0m\\n' $i; done\r",
    });
    await waitFor(
      async () => expect((await caller.terminals.output({ id: terminal.id, lines: 3 })).lines).toContain('line-2000'),
      { timeout: 10_000 },
    );
    const { lines } = await caller.terminals.output({ id: terminal.id, lines: 5000 });
    expect(lines.join('\n').length).toBeLessThanOrEqual(4096);
    expect(lines).not.toContain('line-1');
    expect(lines.join('\n')).not.toContain('\u001b');
    const raw = await caller.terminals.output({ id: terminal.id, lines: 3, stripAnsi: false });
    expect(raw.lines.join('\n')).toContain('\u001b[31mline-2000');
  });

  it('keeps running when every viewer leaves, and its socket learns when it exits', async () => {
    const { server, caller } = await setup();
    const terminal = await caller.terminals.create({ workspaceId: 'ws_test' });
    const viewer = connect(server.wsUrl(`/api/terminals/${terminal.id}`));
    await viewer.opened;
    viewer.ws.terminate();
    await viewer.closed;
    await caller.terminals.send({ id: terminal.id, data: 'echo still-$((5*5))\r' });
    await waitFor(async () =>
      expect((await caller.terminals.output({ id: terminal.id })).lines.join('\n')).toContain('still-25'),
    );

    const watcher = connect(server.wsUrl(`/api/terminals/${terminal.id}`));
    await waitFor(() => expect(watcher.messages[0]?.type).toBe('attached'));
    watcher.sendJson({ type: 'input', data: 'exit 3\r' });
    expect(await watcher.closed).toMatchObject({ code: SOCKET_CLOSE.NORMAL });
    expect(watcher.messages.at(-1)).toEqual({ type: 'exit', exitCode: 3, wasKilled: false });
    expect((await caller.terminals.list())[0]).toMatchObject({ status: 'exited', exitCode: 3 });
    // An exited terminal still shows what it printed, refuses input, and a late viewer gets replay + exit.
    await expect(caller.terminals.send({ id: terminal.id, data: 'x' })).rejects.toMatchObject({
      code: 'PRECONDITION_FAILED',
    });
    const late = connect(server.wsUrl(`/api/terminals/${terminal.id}`));
    expect(await late.closed).toMatchObject({ code: SOCKET_CLOSE.NORMAL });
    expect(late.output()).toContain('still-25');
    expect(late.messages.map((m) => m.type)).toEqual(['attached', 'exit']);
  });

  it('kill ends the shell with its whole process tree and closes the viewers with 4410', async () => {
    const { server, caller } = await setup();
    const terminal = await caller.terminals.create({ workspaceId: 'ws_test' });
    const viewer = connect(server.wsUrl(`/api/terminals/${terminal.id}`));
    await viewer.opened;
    viewer.sendJson({ type: 'input', data: '(sleep 300 &) ; sleep 301 & echo started-bg\r' });
    await waitForOutput(viewer.output, 'started-bg');
    let tree: number[] = [];
    await waitFor(() => {
      tree = listProcessTree(terminal.pid) ?? [];
      expect(tree.length).toBeGreaterThanOrEqual(3);
    });
    const killed = await caller.terminals.kill({ id: terminal.id });
    expect(killed).toEqual({ id: terminal.id, killed: true });
    expect(await viewer.closed).toMatchObject({ code: SOCKET_CLOSE.KILLED });
    expect(viewer.messages.at(-1)).toMatchObject({ type: 'exit', wasKilled: true });
    await waitFor(() => expect(tree.filter(isProcessAlive)).toEqual([]));
    expect(await caller.terminals.list()).toEqual([]);
    await expect(caller.terminals.kill({ id: terminal.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('kill hangs up first, so a script in the shell runs its exit trap ' +
    '(a SIGKILL left pyenv rehash locks behind)', async () => {
    const { caller } = await setup();
    const dir = await mkdtemp(path.join(tmpdir(), 'band-hup-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const lock = path.join(dir, 'lock');
    // Like `pyenv rehash` in a .bashrc: takes a lock file and removes it in an EXIT trap.
    const script = `touch '${lock}'; trap "rm -f '${lock}'" EXIT; echo holding; sleep 300 & wait`;
    const terminal = await caller.terminals.create({
      workspaceId: 'ws_test',
      command: `bash -c ${JSON.stringify(script)}`,
    });
    // The user's .bashrc runs first (on this machine: pyenv, whose own rehash lock can make it wait for other shells).
    await waitFor(async () => expect((await caller.terminals.output({ id: terminal.id })).lines).toContain('holding'), {
      timeout: 70_000,
    });
    expect(existsSync(lock)).toBe(true);
    await caller.terminals.kill({ id: terminal.id });
    await waitFor(() => expect(existsSync(lock)).toBe(false));
  }, 90_000);

  it('an exit trap that takes a while is hung up once, not interrupted by a second SIGHUP while it runs', async () => {
    const { caller } = await setup();
    const dir = await mkdtemp(path.join(tmpdir(), 'band-hup-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const lock = path.join(dir, 'lock');
    // The trap outlives the terminal's shell: a second hang-up (when the shell exits, or once per way the process
    // was found) would end it half-way, with the lock left behind.
    const script = `touch '${lock}'; trap "sleep 1; rm -f '${lock}'" EXIT; echo holding; sleep 300 & wait`;
    const terminal = await caller.terminals.create({
      workspaceId: 'ws_test',
      command: `bash -c ${JSON.stringify(script)}`,
    });
    await waitFor(async () => expect((await caller.terminals.output({ id: terminal.id })).lines).toContain('holding'), {
      timeout: 70_000,
    });
    await caller.terminals.kill({ id: terminal.id });
    await waitFor(() => expect(existsSync(lock)).toBe(false));
  }, 90_000);

  it('a job that left the session (setsid nohup … &) does not survive the kill, nor the server stop', async () => {
    const { caller, terminals } = await setup();
    const dir = await mkdtemp(path.join(tmpdir(), 'band-escape-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const pidFile = (n: number) => path.join(dir, `job${n}.pid`);
    // The job writes its own pid (it is re-parented to init at once: the shell that started it exits).
    const start = (n: number) =>
      `(setsid nohup sh -c 'echo $$ > ${pidFile(n)}.tmp && mv ${pidFile(n)}.tmp ${pidFile(n)}; ` +
      `exec sleep 600' >/dev/null 2>&1 &); echo started-${n}`;
    const escapedPid = async (n: number) =>
      Number(await waitFor(async () => (await readFile(pidFile(n), 'utf8')).trim(), { timeout: 70_000 }));

    const killed = await caller.terminals.create({ workspaceId: 'ws_test', command: `${start(1)}; sleep 600` });
    const first = await escapedPid(1);
    expect(isProcessAlive(first)).toBe(true);
    // Out of reach of the tree and session walk once the subshell that started it has exited.
    await waitFor(() => expect(listProcessTree(killed.pid)).not.toContain(first));
    await caller.terminals.kill({ id: killed.id });
    await waitFor(() => expect(isProcessAlive(first)).toBe(false));

    const stopped = await caller.terminals.create({ workspaceId: 'ws_test', command: `${start(2)}; sleep 600` });
    const second = await escapedPid(2);
    await waitFor(() => expect(listProcessTree(stopped.pid)).not.toContain(second));
    await terminals.close();
    await waitFor(() => expect(isProcessAlive(second)).toBe(false));
  }, 120_000);

  it('closing the service (server shutdown) leaves no shell or child process behind', async () => {
    const { terminals, caller } = await setup();
    const pids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = await caller.terminals.create({
        workspaceId: 'ws_test',
        command: 'sleep 400 & sleep 401 & echo ready',
      });
      await waitFor(async () => expect((await caller.terminals.output({ id: t.id })).lines).toContain('ready'));
      await waitFor(() => expect(listProcessTree(t.pid)?.length).toBeGreaterThanOrEqual(3));
      pids.push(...(listProcessTree(t.pid) ?? []));
    }
    await terminals.close();
    await terminals.close();
    await waitFor(() => expect(pids.filter(isProcessAlive)).toEqual([]));
    await expect(caller.terminals.create({ workspaceId: 'ws_test' })).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });
  });

  it('caps running terminals per principal with a clear error', async () => {
    const { caller, terminals } = await setup({ maxTerminalsPerOwner: 2 });
    expect(terminalDefaults.maxTerminalsPerOwner).toBe(16);
    await caller.terminals.create({ workspaceId: 'ws_test' });
    const second = await caller.terminals.create({ workspaceId: 'ws_test' });
    await expect(caller.terminals.create({ workspaceId: 'ws_test' })).rejects.toMatchObject({
      code: 'PRECONDITION_FAILED',
      message: expect.stringMatching(/Too many terminals.*limit 2/),
    });
    // Parallel requests cannot overshoot the cap.
    const burst = await Promise.allSettled(
      [1, 2, 3].map(() => terminals.create({ workspaceId: 'ws_test' }, 'session:burst')),
    );
    expect(burst.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    // Another session has its own allowance; a killed terminal frees a slot.
    await terminals.create({ workspaceId: 'ws_test' }, 'session:other');
    await caller.terminals.kill({ id: second.id });
    await caller.terminals.create({ workspaceId: 'ws_test' });
  });

  it('caps sockets per principal and closes the extra one with 4429', async () => {
    const { server, caller, sockets } = await setup({ maxSockets: 2 });
    const terminal = await caller.terminals.create({ workspaceId: 'ws_test' });
    const url = server.wsUrl(`/api/terminals/${terminal.id}`);
    const a = connect(url);
    const b = connect(url);
    await waitFor(() => expect(a.messages.length + b.messages.length).toBe(2));
    const c = connect(url);
    expect(await c.closed).toMatchObject({
      code: SOCKET_CLOSE.TOO_MANY_SOCKETS,
      reason: expect.stringMatching(/Too many sockets/),
    });
    a.ws.close();
    await a.closed;
    await waitFor(() => expect(sockets.count(rootPrincipal)).toBe(1));
    const d = connect(url);
    await waitFor(() => expect(d.messages[0]?.type).toBe('attached'));
  });

  it(
    'answers malformed messages with an error and keeps the socket; ' + 'unknown ids get 4404; huge frames 1009',
    async () => {
      const { server, caller } = await setup();
      const terminal = await caller.terminals.create({ workspaceId: 'ws_test' });
      const viewer = connect(server.wsUrl(`/api/terminals/${terminal.id}`));
      await viewer.opened;
      for (const bad of [
        'not json',
        '42',
        'null',
        '{"type":"input","data":5}',
        '{"type":"resize","cols":"80","rows":2}',
        '{"type":"launch"}',
      ]) {
        viewer.ws.send(bad);
      }
      await waitFor(() => expect(viewer.messages.filter((m) => m.type === 'error')).toHaveLength(6));
      viewer.ws.send(Buffer.from('echo binary-$((8*8))\r'), { binary: true });
      await waitForOutput(viewer.output, 'binary-64');

      const missing = connect(server.wsUrl('/api/terminals/t_doesnotexist'));
      expect(await missing.closed).toMatchObject({ code: SOCKET_CLOSE.NOT_FOUND });
      const hostile = connect(server.wsUrl('/api/terminals/..%2F..%2Fetc'));
      expect(await hostile.closed).toMatchObject({ code: SOCKET_CLOSE.NOT_FOUND });

      viewer.ws.send(JSON.stringify({ type: 'input', data: 'x'.repeat(2 * 1024 * 1024) }));
      expect(await viewer.closed).toMatchObject({ code: 1009 });
      await waitFor(async () =>
        expect((await caller.terminals.list())[0]).toMatchObject({ status: 'running', viewers: 0 }),
      );
    },
  );

  it('terminates a viewer that stops answering heartbeats', async () => {
    const { server, caller } = await setup({ heartbeatMs: 50 });
    const terminal = await caller.terminals.create({ workspaceId: 'ws_test' });
    const dead = new WebSocket(server.wsUrl(`/api/terminals/${terminal.id}`), { autoPong: false });
    const closed = new Promise<number>((resolve) => dead.on('close', (code) => resolve(code)));
    dead.on('error', () => {});
    expect(await closed).toBe(1006);
    await waitFor(async () => expect((await caller.terminals.list())[0]?.viewers).toBe(0));
  });

  it('refuses bad input in the exported schemas, and unknown ids in the service', async () => {
    const { caller } = await setup();
    expect(terminalOutputInput.safeParse({ id: '../etc/passwd', lines: 5 }).success).toBe(false);
    expect(createTerminalInput.safeParse({ workspaceId: 'ws_test', cols: 0 }).success).toBe(false);
    expect(sendTerminalInput.safeParse({ id: 't_abc', data: '' }).success).toBe(false);
    expect(terminalOutputInput.parse({ id: 't_abc' })).toEqual({ id: 't_abc', lines: 50, stripAnsi: true });
    await expect(caller.terminals.output({ id: 't_abc' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(caller.terminals.send({ id: 't_abc', data: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('terminals.events', () => {
  it('streams terminals being created, exiting and removed, for one workspace', async () => {
    const { caller, terminals } = await setup();
    const controller = new AbortController();
    // A caller's signal is given at creation (tRPC v11), and ends its subscriptions.
    const streaming = createCaller(
      createContextInner({ principal: rootPrincipal, services: { terminals } as unknown as Services }),
      { signal: controller.signal },
    );
    const stream = await streaming.terminals.events({ workspaceId: 'ws_test' });
    const seen: Array<Record<string, any>> = [];
    const reading = (async () => {
      for await (const event of stream as AsyncIterable<Record<string, any>>) seen.push(event);
    })();
    const other = terminals.subscribe({ workspaceId: 'ws_other' }, controller.signal);
    const first = await caller.terminals.create({ workspaceId: 'ws_test', command: 'exit 4' });
    await waitFor(() => expect(seen.map((e) => e.type)).toEqual(['created', 'exited']));
    await caller.terminals.kill({ id: first.id });
    await waitFor(() => expect(seen.map((e) => e.type)).toEqual(['created', 'exited', 'removed']));
    expect(seen[1]).toMatchObject({ terminal: { id: first.id, status: 'exited', exitCode: 4 } });
    expect(seen[2]).toEqual({ type: 'removed', id: first.id, workspaceId: 'ws_test' });
    controller.abort();
    await reading;
    // Nothing for another workspace: its stream ends empty once aborted.
    const otherEvents: unknown[] = [];
    for await (const event of other) otherEvents.push(event);
    expect(otherEvents).toEqual([]);
  });
});

describe('createTerminalService back-pressure', () => {
  it('pauses the program while a viewer is slow and resumes it when the viewer catches up', async () => {
    const { terminals } = await setup();
    const terminal = await terminals.create({ workspaceId: 'ws_test' });
    let received = 0;
    const attachment = terminals.attach(terminal.id, { data: (c) => (received += c.length), exit() {} });
    attachment.pause();
    terminals.send(terminal.id, 'yes | head -c 4000000; echo DONE-$((1+1))\r');
    // While paused nobody reads the PTY, so `head` blocks on write: its written byte count stops moving.
    let lastWritten = -1;
    await waitFor(
      () => {
        const head = (listProcessTree(terminal.pid) ?? []).find((pid) => {
          try {
            return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'head';
          } catch {
            return false;
          }
        });
        if (!head) throw new Error('head not started');
        const written = Number(/wchar: (\d+)/.exec(readFileSync(`/proc/${head}/io`, 'utf8'))?.[1]);
        const isStalled = written === lastWritten && written > 0;
        lastWritten = written;
        if (!isStalled) throw new Error('head still writing');
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(received).toBeLessThan(2_000_000);
    attachment.resume();
    await waitFor(() => expect(terminals.output(terminal.id, { lines: 3 }).lines.join('\n')).toContain('DONE-2'), {
      timeout: 30_000,
      interval: 100,
    });
    expect(received).toBeGreaterThan(4_000_000);
    attachment.detach();
  }, 60_000);
});

export type { TerminalService };

describe('terminals whose shell cannot run', () => {
  it('reports a shell that does not exist as an exited terminal with its exit code', async () => {
    const dir = await tempDir();
    cleanups.push(() => dir[Symbol.asyncDispose]());
    const terminals = createTerminalService({
      resolveWorkspacePath: async () => dir.path,
      shell: '/nonexistent/shell',
    });
    cleanups.push(() => terminals.close());
    // node-pty forks first, so a missing shell shows up as the child exiting 1 rather than as a throw.
    const info = await terminals.create({ workspaceId: 'ws_x' });
    const outcome = { info };
    await waitFor(() => expect(terminals.get(outcome.info.id)).toMatchObject({ status: 'exited' }));
    expect(terminals.get(outcome.info.id).exitCode).toBe(1);
    expect(() => terminals.send(outcome.info.id, 'x')).toThrow(/has exited/);
  });
});
