import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { createCodingAgent } from '@band/agents';
import {
  claudeCodeOfflineEnv,
  findClaudeCodeBinary,
  type ScriptedModel,
  startScriptedModel,
} from '@band/agents/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatEventEnvelope } from '../src/chats/chat-types.js';
import { AGENT_DETECTION_MARKER } from '../src/chats/agent-detection.js';
import { AGENT_PIDS_FILE } from '../src/chats/agent-pids.js';
import { createChangeService } from '../src/workspaces/change-service.js';
import { silentLogger } from '../src/internal/logger.js';
import { alive, type ChatFixture, createChatFixture, waitForTurn } from './chats-fixtures.js';
import { waitFor } from './helpers.js';

let fixture: ChatFixture | undefined;
let model: ScriptedModel | undefined;
afterEach(async () => {
  await fixture?.[Symbol.asyncDispose]();
  await model?.close();
  fixture = undefined;
  model = undefined;
});

const types = (events: ChatEventEnvelope[]) => events.map((e) => e.type).filter((t, i, all) => t !== all[i - 1]);

describe('chats with the real Claude Code CLI (offline, scripted model)', () => {
  it(
    'a message makes the agent write a file in the worktree; ' + 'events are stored in order and the turn is done',
    async () => {
      const claude = findClaudeCodeBinary()!;
      fixture = await createChatFixture({
        agents: [{ id: 'claude-code', type: 'claude-code', label: 'Claude Code', command: claude }],
        createAgent: (config, f) =>
          createCodingAgent({
            type: config.type,
            command: config.command,
            baseEnv: { PATH: process.env.PATH },
            env: claudeCodeOfflineEnv({ home: join(f.dir, 'claude-home'), baseUrl: model!.url }),
          }),
      });
      const file = join(fixture.workspace.path, 'hello.txt');
      model = await startScriptedModel([
        {
          content: [
            { type: 'text', text: 'Writing it.' },
            { type: 'tool_use', name: 'Write', input: { file_path: file, content: 'hello\n' } },
          ],
        },
        { content: [{ type: 'text', text: 'done' }] },
      ]);
      const statuses: string[] = [];
      fixture.events.on('workspace.status', (ws, status) => ws === fixture!.workspace.id && statuses.push(status));
      const chat = fixture.chats.create({ workspaceId: fixture.workspace.id, mode: 'edit' });
      const { turn, queued } = fixture.chats.send({ chatId: chat.id, message: 'Create hello.txt' });
      expect(queued).toBe(false);
      const finished = await waitForTurn(fixture, turn.id);

      expect(finished).toMatchObject({ status: 'done', numTurns: 2, error: null });
      expect(finished.costUsd).toBeGreaterThan(0);
      expect(readFileSync(file, 'utf8')).toBe('hello\n');
      expect(
        execFileSync('git', ['status', '--porcelain'], { cwd: fixture.workspace.path, encoding: 'utf8' }),
      ).toContain('?? hello.txt');
      const { events, lastSeq, turns } = fixture.chats.history({ chatId: chat.id });
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
      expect(types(events)).toEqual([
        'user-message',
        'turn-start',
        'session-start',
        'text-delta',
        'tool-use',
        'tool-result',
        'text-delta',
        'session-result',
        'turn-end',
      ]);
      expect(turns).toHaveLength(1);
      const start = events.find((e) => e.type === 'session-start')!.event as { sessionId: string };
      expect(fixture.chats.get(chat.id)).toMatchObject({
        agentSessionId: start.sessionId,
        status: 'done',
        title: 'Create hello.txt',
      });
      // Finished: done (unread), not "needs your answer".
      expect(statuses).toEqual(['working', 'done']);
      // The workspace's changes show the new file with its patch.
      const changes = createChangeService({
        store: fixture.store,
        logger: silentLogger,
        env: { PATH: process.env.PATH },
      });
      const status = await changes.status({ workspace: fixture.workspace.id, against: 'uncommitted' });
      expect(status.files.map((f) => f.path)).toEqual(['hello.txt']);
      const diff = await changes.diff({ workspace: fixture.workspace.id, path: 'hello.txt', against: 'uncommitted' });
      expect(diff.patch).toContain('+hello');
    },
  );
});

describe('turns', () => {
  it('a message sent while a turn runs is queued and starts when the first ends; one turn runs at a time', async () => {
    fixture = await createChatFixture();
    fixture.fake = { scenario: 'slow', events: 5, delayMs: 30 };
    const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
    const first = fixture.chats.send({ chatId: chat.id, message: 'one' });
    const second = fixture.chats.send({ chatId: chat.id, message: 'two' });
    expect(first.queued).toBe(false);
    expect(second.queued).toBe(true);
    expect(fixture.store.turns.get(second.turn.id)!.status).toBe('queued');
    await waitForTurn(fixture, second.turn.id);
    expect(fixture.store.turns.list(chat.id).map((t) => t.status)).toEqual(['done', 'done']);
    const events = fixture.chats.history({ chatId: chat.id, limit: 5000 }).events;
    const marks = events
      .filter((e) => e.type.startsWith('turn-') || e.type === 'user-message')
      .map((e) => `${e.type}:${e.turnId === first.turn.id ? 1 : 2}`);
    expect(marks).toEqual([
      'user-message:1',
      'turn-start:1',
      'user-message:2',
      'turn-end:1',
      'turn-start:2',
      'turn-end:2',
    ]);
  });

  it('the second turn resumes the agent session of the first', async () => {
    fixture = await createChatFixture();
    const argvFile = join(fixture.dir, 'argv.json');
    fixture.fake = { argvFile };
    const chat = fixture.chats.create({ workspaceId: fixture.workspace.id, model: 'opus', mode: 'plan' });
    await waitForTurn(fixture, fixture.chats.send({ chatId: chat.id, message: 'one' }).turn.id);
    const sessionId = fixture.chats.get(chat.id).agentSessionId!;
    expect(sessionId).toBeTruthy();
    await waitForTurn(fixture, fixture.chats.send({ chatId: chat.id, message: 'two' }).turn.id);
    const { argv } = JSON.parse(readFileSync(argvFile, 'utf8'));
    expect(argv.join(' ')).toContain(`--resume ${sessionId} --model opus --permission-mode plan`);
  });

  it('abort kills the agent process tree and records the turn as aborted; queued messages stay, paused', async () => {
    fixture = await createChatFixture({ killGraceMs: 300 });
    const pidFile = join(fixture.dir, 'pids');
    fixture.fake = { scenario: 'hang', pidFile, ignoreSigterm: true };
    const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
    const running = fixture.chats.send({ chatId: chat.id, message: 'forever' });
    await waitFor(() => expect(existsSync(pidFile)).toBe(true), { timeout: 10_000 });
    const [pid, grandchild] = readFileSync(pidFile, 'utf8').split(' ').map(Number) as [number, number];
    fixture.fake = { scenario: 'ok' };
    const next = fixture.chats.send({ chatId: chat.id, message: 'after' });
    const result = await fixture.chats.abort({ chatId: chat.id });
    expect(result).toEqual({ abortedTurnId: running.turn.id, clearedTurnIds: [], pausedTurnIds: [next.turn.id] });
    expect(alive(pid)).toBe(false);
    expect(alive(grandchild)).toBe(false);
    expect(fixture.store.turns.get(running.turn.id)).toMatchObject({ status: 'aborted', error: 'aborted' });
    // Stop means stop: the follow-up does not start on its own (abort resolves after the queue was pumped).
    expect(fixture.store.turns.get(next.turn.id)!.status).toBe('queued');
    expect(fixture.chats.get(chat.id).status).toBe('waiting');
    const log = fixture.chats.history({ chatId: chat.id }).events;
    expect(log.find((e) => e.type === 'queue-paused')).toMatchObject({
      turnId: null,
      event: { type: 'queue-paused', turnIds: [next.turn.id] },
    });
    // Send now releases it.
    expect(fixture.chats.resume({ chatId: chat.id, turnId: next.turn.id })).toEqual({ resumedTurnIds: [next.turn.id] });
    expect(await waitForTurn(fixture, next.turn.id)).toMatchObject({ status: 'done' });
    expect(fixture.chats.history({ chatId: chat.id }).events.some((e) => e.type === 'queue-resumed')).toBe(true);
  });

  it(
    'a paused queue: a new message runs at once, ' + 'discard drops a queued one, resume releases the rest in order',
    async () => {
      fixture = await createChatFixture({ killGraceMs: 300 });
      const pidFile = join(fixture.dir, 'p');
      fixture.fake = { scenario: 'hang', pidFile };
      const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
      fixture.chats.send({ chatId: chat.id, message: 'forever' });
      const a = fixture.chats.send({ chatId: chat.id, message: 'a' });
      const b = fixture.chats.send({ chatId: chat.id, message: 'b' });
      const c = fixture.chats.send({ chatId: chat.id, message: 'c' });
      await waitFor(() => expect(existsSync(pidFile)).toBe(true), { timeout: 10_000 });
      fixture.fake = { scenario: 'ok' };
      expect((await fixture.chats.abort({ chatId: chat.id })).pausedTurnIds).toEqual([a.turn.id, b.turn.id, c.turn.id]);

      // The user writes a correction: it is not held behind the paused ones.
      const fix = fixture.chats.send({ chatId: chat.id, message: 'do this instead' });
      expect(fix.queued).toBe(false);
      expect(await waitForTurn(fixture, fix.turn.id)).toMatchObject({ status: 'done' });
      expect(fixture.store.turns.queued(chat.id).map((t) => t.id)).toEqual([a.turn.id, b.turn.id, c.turn.id]);

      expect(fixture.chats.discard({ chatId: chat.id, turnId: b.turn.id })).toEqual({ discardedTurnId: b.turn.id });
      expect(fixture.store.turns.get(b.turn.id)).toMatchObject({ status: 'aborted', error: 'discarded' });
      // Discarding twice, or a turn of another chat, is refused.
      expect(() => fixture!.chats.discard({ chatId: chat.id, turnId: b.turn.id })).toThrow(/not queued/);
      const other = fixture.chats.create({ workspaceId: fixture.workspace.id });
      expect(() => fixture!.chats.discard({ chatId: other.id, turnId: a.turn.id })).toThrow(/not found/i);
      expect(() => fixture!.chats.resume({ chatId: chat.id, turnId: 'turn_missing' })).toThrow(/not found/i);

      const order: string[] = [];
      fixture.events.on('chat.event', (e) => {
        if (e.type === 'turn-start') order.push(e.turnId!);
      });
      expect(fixture.chats.resume({ chatId: chat.id })).toEqual({ resumedTurnIds: [a.turn.id, c.turn.id] });
      await waitForTurn(fixture, a.turn.id);
      await waitForTurn(fixture, c.turn.id);
      expect(order).toEqual([a.turn.id, c.turn.id]);
      expect(fixture.store.turns.list(chat.id).map((t) => t.status)).toEqual([
        'aborted',
        'done',
        'aborted',
        'done',
        'done',
      ]);
    },
  );

  it('abort with clearQueue drops the queued messages too', async () => {
    fixture = await createChatFixture({ killGraceMs: 300 });
    fixture.fake = { scenario: 'hang', pidFile: join(fixture.dir, 'p') };
    const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
    fixture.chats.send({ chatId: chat.id, message: 'forever' });
    const queued = fixture.chats.send({ chatId: chat.id, message: 'later' });
    await waitFor(() => expect(existsSync(join(fixture!.dir, 'p'))).toBe(true), { timeout: 10_000 });
    const result = await fixture.chats.abort({ chatId: chat.id, clearQueue: true });
    expect(result.clearedTurnIds).toEqual([queued.turn.id]);
    expect(fixture.store.turns.list(chat.id).map((t) => t.status)).toEqual(['aborted', 'aborted']);
    expect(fixture.chats.get(chat.id).status).toBe('waiting');
    expect(await fixture.chats.abort({ chatId: chat.id })).toEqual({
      abortedTurnId: null,
      clearedTurnIds: [],
      pausedTurnIds: [],
    });
  });

  it('a crashing agent fails the turn with its error and the workspace needs attention', async () => {
    fixture = await createChatFixture();
    fixture.fake = { scenario: 'crash' };
    const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
    const turn = await waitForTurn(fixture, fixture.chats.send({ chatId: chat.id, message: 'hi' }).turn.id);
    expect(turn.status).toBe('failed');
    expect(turn.error).toMatch(/exited with code 3/);
    expect(fixture.chats.workspaceStatus(fixture.workspace.id)).toBe('needs-attention');
    const stored = JSON.stringify(fixture.chats.history({ chatId: chat.id }).events);
    expect(stored).not.toContain('sk-ant-secret');
  });

  it(
    'a finished turn is done (unread) until seen; ' + 'a failed one in another chat needs the answer and shows first',
    async () => {
      fixture = await createChatFixture();
      const a = fixture.chats.create({ workspaceId: fixture.workspace.id });
      await waitForTurn(fixture, fixture.chats.send({ chatId: a.id, message: 'hi' }).turn.id);
      expect(fixture.chats.workspaceStatus(fixture.workspace.id)).toBe('done');
      fixture.fake = { scenario: 'crash' };
      const b = fixture.chats.create({ workspaceId: fixture.workspace.id });
      await waitForTurn(fixture, fixture.chats.send({ chatId: b.id, message: 'hi' }).turn.id);
      expect([fixture.chats.get(a.id).status, fixture.chats.get(b.id).status]).toEqual(['done', 'needs-attention']);
      expect(fixture.chats.workspaceStatus(fixture.workspace.id)).toBe('needs-attention');
      expect(fixture.chats.markSeen(fixture.workspace.id)).toBe('waiting');
      expect(fixture.chats.get(a.id).status).toBe('waiting');
    },
  );

  it('marking a workspace seen turns needs-attention back into waiting, and publishes it', async () => {
    fixture = await createChatFixture();
    fixture.fake = { scenario: 'crash' };
    const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
    await waitForTurn(fixture, fixture.chats.send({ chatId: chat.id, message: 'hi' }).turn.id);
    expect(fixture.chats.workspaceStatus(fixture.workspace.id)).toBe('needs-attention');
    const published: string[] = [];
    const off = fixture.events.on('workspace.status', (_id, status) => published.push(status));
    expect(fixture.chats.markSeen(fixture.workspace.id)).toBe('waiting');
    expect(fixture.chats.get(chat.id).status).toBe('waiting');
    expect(published).toEqual(['waiting']);
    // Seen twice: nothing changes, nothing is published again.
    expect(fixture.chats.markSeen(fixture.workspace.id)).toBe('waiting');
    expect(published).toEqual(['waiting']);
    off();
    expect(() => fixture!.chats.markSeen('ws_missing')).toThrow(/not found/i);
  });

  it('deleting a chat while its agent runs stops the agent and leaves nothing running', async () => {
    fixture = await createChatFixture();
    fixture.fake = { scenario: 'slow', events: 1000, delayMs: 5 };
    const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
    fixture.chats.send({ chatId: chat.id, message: 'x' });
    await waitFor(() => expect(fixture!.store.chatEvents.lastSeq(chat.id)).toBeGreaterThan(5));
    const [{ pid }] = JSON.parse(readFileSync(join(fixture.home, AGENT_PIDS_FILE), 'utf8'));
    expect(alive(pid)).toBe(true);
    fixture.store.chats.remove(chat.id);
    await waitFor(() => expect(alive(pid)).toBe(false), { timeout: 10_000 });
    await waitFor(() => expect(JSON.parse(readFileSync(join(fixture!.home, AGENT_PIDS_FILE), 'utf8'))).toEqual([]));
  });

  it('a missing CLI fails the turn with the install command, instead of throwing', async () => {
    fixture = await createChatFixture({
      agents: [{ id: 'codex', type: 'codex', label: 'Codex', command: 'codex-not-installed' }],
    });
    fixture.chats = (await import('../src/chats/chat-service.js')).createChatService({
      store: fixture.store,
      settings: fixture.settings,
      events: fixture.events,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      home: fixture.home,
      env: { PATH: fixture.dir },
    });
    const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
    const turn = await waitForTurn(fixture, fixture.chats.send({ chatId: chat.id, message: 'hi' }).turn.id);
    expect(turn.status).toBe('failed');
    const error = fixture.chats.history({ chatId: chat.id }).events.find((e) => e.type === 'error')!.event as {
      message: string;
    };
    expect(error.message).toContain('npm i -g @openai/codex');
  });

  it('refuses empty messages, unknown chats and agents, and a workspace that is not ready', async () => {
    fixture = await createChatFixture();
    const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
    expect(() => fixture!.chats.send({ chatId: chat.id, message: '   ' })).toThrow(/empty/);
    expect(() => fixture!.chats.send({ chatId: 'chat_nope', message: 'x' })).toThrow(/chat not found/);
    expect(() => fixture!.chats.send({ message: 'x' })).toThrow(/chat id or a workspace id/);
    expect(() => fixture!.chats.create({ workspaceId: fixture!.workspace.id, agent: 'cursor' })).toThrow(
      /Unknown coding agent/,
    );
    expect(() => fixture!.chats.create({ workspaceId: 'ws_nope' })).toThrow(/workspace not found/);
    fixture.store.workspaces.update(fixture.workspace.id, { status: 'removing' });
    expect(() => fixture!.chats.send({ chatId: chat.id, message: 'x' })).toThrow(/removing/);
  });

  it('a prompt that looks like an option reaches the agent as text', async () => {
    fixture = await createChatFixture({
      agents: [
        {
          id: 'opencode',
          type: 'opencode',
          label: 'OpenCode',
          command: (await import('@band/agents/testing')).fakeAgentPath(),
        },
      ],
    });
    const argvFile = join(fixture.dir, 'argv.json');
    fixture.fake = { argvFile };
    const { turn } = fixture.chats.send({
      workspaceId: fixture.workspace.id,
      message: '--upload-pack=touch /tmp/pwned',
    });
    await waitForTurn(fixture, turn.id);
    expect(JSON.parse(readFileSync(argvFile, 'utf8')).argv.slice(-2)).toEqual(['--', '--upload-pack=touch /tmp/pwned']);
    const text = fixture.chats.history({ chatId: turn.chatId }).events.find((e) => e.type === 'text-delta')!.event;
    expect(text).toMatchObject({ text: 'You said: --upload-pack=touch /tmp/pwned' });
  });

  it('send without a chat id targets the active chat, creating one the first time', async () => {
    fixture = await createChatFixture();
    const a = fixture.chats.send({ workspaceId: fixture.workspace.id, message: 'one' });
    await waitForTurn(fixture, a.turn.id);
    const b = fixture.chats.send({ workspaceId: fixture.workspace.id, message: 'two' });
    expect(b.chat.id).toBe(a.chat.id);
    expect(fixture.store.workspaces.get(fixture.workspace.id)!.activeChatId).toBe(a.chat.id);
    await waitForTurn(fixture, b.turn.id);
  });

  it('runs a workspace initial request once', async () => {
    fixture = await createChatFixture();
    fixture.store.workspaces.update(fixture.workspace.id, { initialRequest: { prompt: 'kick off', mode: 'plan' } });
    const started = fixture.chats.runInitialRequest(fixture.workspace.id)!;
    expect(started.chat.mode).toBe('plan');
    await waitForTurn(fixture, started.turn.id);
    expect(fixture.chats.runInitialRequest(fixture.workspace.id)).toBeUndefined();
  });

  it('an initial request naming an unknown agent is refused and kept for a later try', async () => {
    fixture = await createChatFixture();
    fixture.store.workspaces.update(fixture.workspace.id, { initialRequest: { prompt: 'kick off', agent: 'gemini' } });
    expect(() => fixture!.chats.runInitialRequest(fixture!.workspace.id)).toThrow(/Unknown coding agent: gemini/);
    expect(fixture.store.workspaces.get(fixture.workspace.id)!.initialRequest).toMatchObject({ prompt: 'kick off' });
    expect(fixture.store.chats.list()).toEqual([]);
  });

  it('close() stops running agents and refuses new messages', async () => {
    fixture = await createChatFixture();
    const pidFile = join(fixture.dir, 'pids');
    fixture.fake = { scenario: 'hang', pidFile };
    const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
    const { turn } = fixture.chats.send({ chatId: chat.id, message: 'x' });
    await waitFor(() => expect(existsSync(pidFile)).toBe(true), { timeout: 10_000 });
    const pids = readFileSync(pidFile, 'utf8').split(' ').map(Number);
    await fixture.chats.close();
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(fixture.store.turns.get(turn.id)!.status).toBe('aborted');
    expect(() => fixture!.chats.send({ chatId: chat.id, message: 'y' })).toThrow(/shutting down/);
  });
});

describe('startup', () => {
  it('fills codingAgents from PATH on first launch only, and never over a user-set list', async () => {
    fixture = await createChatFixture({ agents: [] });
    await fixture.settings.update((s) => ({ ...s, codingAgents: [], defaultCodingAgent: null }));
    const bin = join(fixture.dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'claude'), '#!/bin/sh\n');
    chmodSync(join(bin, 'claude'), 0o755);
    const { createChatService } = await import('../src/chats/chat-service.js');
    const make = () =>
      createChatService({
        store: fixture!.store,
        settings: fixture!.settings,
        events: fixture!.events,
        logger: { debug() {}, info() {}, warn() {}, error() {} },
        home: fixture!.home,
        env: { PATH: bin },
      });
    await make().start();
    expect(fixture.settings.get()).toMatchObject({
      codingAgents: [{ id: 'claude-code', type: 'claude-code', command: 'claude' }],
      defaultCodingAgent: 'claude-code',
    });
    expect(existsSync(join(fixture.home, AGENT_DETECTION_MARKER))).toBe(true);
    // The user empties the list: a later launch leaves it empty.
    await fixture.settings.update((s) => ({ ...s, codingAgents: [], defaultCodingAgent: null }));
    await make().start();
    expect(fixture.settings.get().codingAgents).toEqual([]);
  });

  it('closes turns a previous server left running or queued, with a turn-end event', async () => {
    fixture = await createChatFixture();
    const chat = fixture.store.chats.create({ workspaceId: fixture.workspace.id, agentId: 'claude-code' });
    const a = fixture.store.turns.create({ chatId: chat.id, prompt: 'a' });
    const b = fixture.store.turns.create({ chatId: chat.id, prompt: 'b' });
    fixture.store.turns.startNext(chat.id);
    fixture.store.chats.update(chat.id, { status: 'working' });
    await fixture.chats.start();
    expect(fixture.store.turns.list(chat.id).map((t) => t.status)).toEqual(['failed', 'aborted']);
    const ends = fixture.chats.history({ chatId: chat.id }).events.map((e) => e.event);
    expect(ends).toEqual([
      { type: 'turn-end', turnId: a.id, status: 'failed', error: expect.stringContaining('stopped') },
      { type: 'turn-end', turnId: b.id, status: 'aborted', error: expect.stringContaining('stopped') },
    ]);
    expect(fixture.chats.get(chat.id).status).toBe('needs-attention');
  });
});

describe('orphaned agents', () => {
  it(
    'start() kills agent process groups a crashed server left behind, ' + 'and nothing that merely reuses a pid',
    async () => {
      fixture = await createChatFixture();
      const spawnGroup = () => {
        const child = spawn(
          process.execPath,
          [
            '-e',
            "require('child_process').spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], " +
              "{ stdio: 'ignore' }); setInterval(()=>{},1000)",
          ],
          { detached: true, stdio: 'ignore' },
        );
        child.unref();
        return child.pid!;
      };
      const orphan = spawnGroup();
      const innocent = spawnGroup();
      try {
        const startTime = (pid: number) => {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
        };
        await waitFor(() => expect(() => process.kill(-orphan, 0)).not.toThrow());
        writeFileSync(
          join(fixture.home, AGENT_PIDS_FILE),
          JSON.stringify([
            { pid: orphan, startTime: startTime(orphan) },
            { pid: innocent, startTime: '1' }, // same pid, another process: must survive
            { pid: 'x', startTime: 5 },
          ]),
        );
        await fixture.chats.start();
        await waitFor(() => expect(() => process.kill(-orphan, 0)).toThrow());
        expect(alive(innocent)).toBe(true);
        expect(JSON.parse(readFileSync(join(fixture.home, AGENT_PIDS_FILE), 'utf8'))).toEqual([]);
      } finally {
        for (const pid of [orphan, innocent])
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {}
      }
    },
  );

  it('a running agent is recorded in the registry and forgotten when its turn ends', async () => {
    fixture = await createChatFixture();
    fixture.fake = { scenario: 'hang', pidFile: join(fixture.dir, 'p') };
    const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
    fixture.chats.send({ chatId: chat.id, message: 'x' });
    await waitFor(() => expect(existsSync(join(fixture!.dir, 'p'))).toBe(true), { timeout: 10_000 });
    const pid = Number(readFileSync(join(fixture.dir, 'p'), 'utf8').split(' ')[0]);
    expect(
      JSON.parse(readFileSync(join(fixture.home, AGENT_PIDS_FILE), 'utf8')).map((e: { pid: number }) => e.pid),
    ).toEqual([pid]);
    await fixture.chats.abort({ chatId: chat.id });
    expect(JSON.parse(readFileSync(join(fixture.home, AGENT_PIDS_FILE), 'utf8'))).toEqual([]);
  });
});

describe('subscribe', () => {
  it('backfills after a given seq and then goes live, each event exactly once and in order', async () => {
    fixture = await createChatFixture();
    fixture.fake = { scenario: 'slow', events: 40, delayMs: 5 };
    const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
    const { turn } = fixture.chats.send({ chatId: chat.id, message: 'go' });
    await waitFor(() => expect(fixture!.store.chatEvents.lastSeq(chat.id)).toBeGreaterThan(10));
    const controller = new AbortController();
    const seqs: number[] = [];
    for await (const envelope of fixture.chats.subscribe({ chatId: chat.id, afterSeq: 5 }, controller.signal)) {
      seqs.push(envelope.seq);
      if (envelope.type === 'turn-end') controller.abort();
    }
    await waitForTurn(fixture, turn.id);
    const last = fixture.store.chatEvents.lastSeq(chat.id);
    expect(seqs).toEqual(Array.from({ length: last - 5 }, (_, i) => i + 6));
  });

  it('a subscriber too slow for a flood falls back to SQLite and still misses nothing', async () => {
    fixture = await createChatFixture();
    fixture.fake = { scenario: 'flood', events: 15_000 };
    const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
    const controller = new AbortController();
    const iterator = fixture.chats.subscribe({ chatId: chat.id }, controller.signal);
    const first = iterator.next(); // subscribed; now stall while the flood is stored
    const { turn } = fixture.chats.send({ chatId: chat.id, message: 'go' });
    await first;
    await waitForTurn(fixture, turn.id, 60_000);
    let count = 1;
    let previous = 1;
    for await (const envelope of iterator) {
      expect(envelope.seq).toBe(previous + 1);
      previous = envelope.seq;
      count++;
      if (envelope.type === 'turn-end') break;
    }
    expect(count).toBe(fixture.store.chatEvents.lastSeq(chat.id));
  }, 60_000);

  it('statuses yields a snapshot of every workspace, then changes', async () => {
    fixture = await createChatFixture();
    const controller = new AbortController();
    const seen: string[] = [];
    const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
    const done = (async () => {
      for await (const s of fixture!.chats.subscribeStatuses(controller.signal)) {
        seen.push(s.status);
        if (s.status === 'done') controller.abort();
      }
    })();
    await waitFor(() => expect(seen).toEqual(['waiting']));
    fixture.chats.send({ chatId: chat.id, message: 'x' });
    await done;
    expect(seen).toEqual(['waiting', 'working', 'done']);
  });

  // The client notifies on a change it sees happen. A change made while the snapshot is on its way must arrive as a
  // change after it, not as a later workspace's snapshot value.
  it('statuses reads its snapshot at once: a change during it arrives as a change', async () => {
    fixture = await createChatFixture();
    const otherPath = join(fixture.dir, 'other');
    mkdirSync(otherPath);
    const other = fixture.store.workspaces.create({
      projectId: fixture.workspace.projectId,
      branch: 'other',
      baseBranch: 'main',
      path: otherPath,
      status: 'ready',
    });
    const chat = fixture.chats.create({ workspaceId: other.id });
    const controller = new AbortController();
    const statuses = fixture.chats.subscribeStatuses(controller.signal);
    const first = await statuses.next();
    expect(first.value).toEqual({ workspaceId: fixture.workspace.id, status: 'waiting' });
    // Between the first snapshot item and the second: the other workspace's turn starts.
    fixture.chats.send({ chatId: chat.id, message: 'x' });
    await waitFor(() => expect(fixture!.store.chats.get(chat.id)?.status).toBe('working'));
    expect((await statuses.next()).value).toEqual({ workspaceId: other.id, status: 'waiting' });
    expect((await statuses.next()).value).toEqual({ workspaceId: other.id, status: 'working' });
    controller.abort();
    await statuses.return(undefined);
  });

  it('an unknown chat is NOT_FOUND', async () => {
    fixture = await createChatFixture();
    await expect(fixture.chats.subscribe({ chatId: 'chat_missing' }).next()).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
