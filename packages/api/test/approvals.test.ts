import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCodingAgent } from '@band/agents';
import {
  claudeCodeOfflineEnv,
  codexOfflineEnv,
  findClaudeCodeBinary,
  findCodexBinary,
  type ScriptedModel,
  startScriptedModel,
} from '@band/agents/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AGENT_START } from '../../../tooling/testing/slow.js';
import { createContextInner } from '../src/context.js';
import { createCaller } from '../src/root.js';
import type { Services } from '../src/create-services.js';
import { AGENT_PIDS_FILE } from '../src/chats/agent-pids.js';
import { type ChatFixture, createChatFixture, waitForTurn } from './chats-fixtures.js';

// Issue 20: the real Claude Code in its default permission mode asks before Bash; the question reaches Band
// through its MCP permission prompt tool and is answered through tRPC (dashboard session or CLI token).
let fixture: ChatFixture | undefined;
let model: ScriptedModel | undefined;
afterEach(async () => {
  await fixture?.[Symbol.asyncDispose]();
  await model?.close();
  fixture = undefined;
  model = undefined;
});

const phone = { kind: 'session', listener: 'tunnel', sessionId: 'sess_phone' };
const cli = { kind: 'root', listener: 'local' };

function caller(f: ChatFixture, principal: unknown) {
  const devices = {
    list: () => [{ id: 'sess_phone', listener: 'tunnel', label: 'Chrome on Android', createdAt: 0, lastSeenAt: 0 }],
  };
  const services = { chats: f.chats, events: f.events, devices } as unknown as Services;
  return createCaller(createContextInner({ principal: principal as never, services }));
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

const bash = (command: string) => ({
  content: [{ type: 'tool_use' as const, name: 'Bash', input: { command, description: 'Run it' } }],
});

async function realClaude(script: Parameters<typeof startScriptedModel>[0]) {
  model = await startScriptedModel(script);
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
  const chat = fixture.chats.create({ workspaceId: fixture.workspace.id, mode: 'default' });
  return { f: fixture, chat, file: join(fixture.workspace.path, 'approved.txt') };
}

async function nextPending(f: ChatFixture, chatId: string, count = 1) {
  await vi.waitFor(() => expect(f.chats.approvals({ chatId }).length).toBeGreaterThanOrEqual(count), AGENT_START);
  return f.chats.approvals({ chatId }).at(-1)!;
}

describe('approvals with the real Claude Code (default mode)', { timeout: 150_000 }, () => {
  it(
    'approve from the phone: the file exists, the turn ends, ' + 'the answer and its device are in the history',
    async () => {
      const { f, chat, file } = await realClaude([
        bash('echo ok > approved.txt'),
        { content: [{ type: 'text', text: 'done' }] },
      ]);
      const { turn } = f.chats.send({ chatId: chat.id, message: 'write approved.txt' });
      const pending = await nextPending(f, chat.id);
      expect(pending).toMatchObject({
        chatId: chat.id,
        workspaceId: f.workspace.id,
        turnId: turn.id,
        toolName: 'Bash',
        input: { command: 'echo ok > approved.txt' },
      });
      expect(f.chats.workspaceStatus(f.workspace.id)).toBe('needs-attention');
      expect(f.store.chats.get(chat.id)!.status).toBe('needs-attention');
      // Looking at the workspace does not answer it: it still needs the user's answer.
      expect(f.chats.markSeen(f.workspace.id)).toBe('needs-attention');
      // The CLI sees it too.
      expect((await caller(f, cli).approvals.list()).map((a) => a.requestId)).toEqual([pending.requestId]);

      expect(await caller(f, phone).approvals.answer({ requestId: pending.requestId, answer: 'allow' })).toEqual({
        requestId: pending.requestId,
        chatId: chat.id,
        behavior: 'allow',
        scope: 'once',
      });
      // Second answer: a clear "already answered", naming who won.
      await expect(
        caller(f, cli).approvals.answer({ requestId: pending.requestId, answer: 'deny' }),
      ).rejects.toMatchObject({
        code: 'CONFLICT',
        message: expect.stringMatching(/already answered \(allowed by Chrome on Android at /),
      });
      expect(await waitForTurn(f, turn.id)).toMatchObject({ status: 'done' });
      expect(existsSync(file)).toBe(true);
      const events = f.chats.history({ chatId: chat.id }).events;
      const request = events.find((e) => e.type === 'approval-request')!;
      const resolved = events.find((e) => e.type === 'approval-resolved')!;
      expect(request.seq).toBeLessThan(resolved.seq);
      expect(resolved.event).toMatchObject({
        requestId: pending.requestId,
        behavior: 'allow',
        scope: 'once',
        by: { via: 'dashboard', device: 'Chrome on Android', deviceId: 'sess_phone', listener: 'tunnel' },
        resolvedAt: expect.any(String),
      });
      expect(f.chats.approvals()).toEqual([]);
      // The devices list can say which device answered what.
      expect(await caller(f, cli).approvals.byDevice()).toEqual([
        {
          deviceId: 'sess_phone',
          requestId: pending.requestId,
          chatId: chat.id,
          toolName: 'Bash',
          behavior: 'allow',
          scope: 'once',
          answeredAt: expect.any(String),
        },
      ]);
    },
  );

  it('deny with a message: the file is absent and the model’s next request holds the denial', async () => {
    const { f, chat, file } = await realClaude([
      bash('echo ok > approved.txt'),
      { content: [{ type: 'text', text: 'ok, not doing it' }] },
    ]);
    const { turn } = f.chats.send({ chatId: chat.id, message: 'write approved.txt' });
    const pending = await nextPending(f, chat.id);
    await caller(f, phone).approvals.answer({
      requestId: pending.requestId,
      answer: 'deny',
      message: 'Not in this repo, please',
    });
    expect(await waitForTurn(f, turn.id)).toMatchObject({ status: 'done' });
    expect(existsSync(file)).toBe(false);
    expect(JSON.stringify(model!.requests.filter((r) => r.scripted).at(-1)!.body.messages)).toContain(
      'Not in this repo, please',
    );
    const resolved = f.chats.history({ chatId: chat.id }).events.find((e) => e.type === 'approval-resolved')!;
    expect(resolved.event).toMatchObject({ behavior: 'deny', message: 'Not in this repo, please' });
  });

  it('approve from the CLI token with --always: the next Bash call of the chat is allowed by the rule', async () => {
    const { f, chat, file } = await realClaude([
      bash('echo ok > approved.txt'),
      bash('echo again >> approved.txt'),
      { content: [{ type: 'text', text: 'done' }] },
    ]);
    const { turn } = f.chats.send({ chatId: chat.id, message: 'write approved.txt twice' });
    const pending = await nextPending(f, chat.id);
    await caller(f, cli).approvals.answer({ requestId: pending.requestId, answer: 'always' });
    expect(await waitForTurn(f, turn.id)).toMatchObject({ status: 'done' });
    expect(readFileSync(file, 'utf8')).toBe('ok\nagain\n');
    const answers = f.chats
      .history({ chatId: chat.id })
      .events.filter((e) => e.type === 'approval-resolved')
      .map((e) => e.event);
    expect(answers).toMatchObject([
      { behavior: 'allow', scope: 'always', by: { via: 'token', listener: 'local' } },
      { behavior: 'allow', scope: 'always', by: { via: 'rule' } },
    ]);
  });

  it('abort while pending: the request resolves as denied, the turn is aborted and no process is left', async () => {
    const { f, chat, file } = await realClaude([
      bash('echo ok > approved.txt'),
      { content: [{ type: 'text', text: 'done' }] },
    ]);
    const { turn } = f.chats.send({ chatId: chat.id, message: 'write approved.txt' });
    const pending = await nextPending(f, chat.id);
    // The CLI's process group (Claude Code, its MCP server, any tool).
    const { pid } = (JSON.parse(readFileSync(join(f.home, AGENT_PIDS_FILE), 'utf8')) as Array<{ pid: number }>)[0]!;
    expect(groupAlive(pid)).toBe(true);
    const result = await f.chats.abort({ chatId: chat.id });
    expect(result.abortedTurnId).toBe(turn.id);
    expect(await waitForTurn(f, turn.id)).toMatchObject({ status: 'aborted' });
    expect(existsSync(file)).toBe(false);
    const resolved = f.chats.history({ chatId: chat.id }).events.find((e) => e.type === 'approval-resolved')!;
    expect(resolved.event).toMatchObject({ requestId: pending.requestId, behavior: 'deny', by: { via: 'abort' } });
    expect(f.chats.approvals()).toEqual([]);
    await expect(
      caller(f, phone).approvals.answer({ requestId: pending.requestId, answer: 'allow' }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(f.store.chats.get(chat.id)!.status).toBe('waiting');
    expect(groupAlive(pid)).toBe(false);
  });

  it(
    'AskUserQuestion: answered from the phone, the model gets the answer; ' + 'a rule or a bare allow cannot answer it',
    async () => {
      const questions = [
        {
          question: 'Which database?',
          header: 'DB',
          multiSelect: false,
          options: [
            { label: 'SQLite', description: 'a file' },
            { label: 'Postgres', description: 'a server' },
          ],
        },
      ];
      const { f, chat } = await realClaude([
        { content: [{ type: 'tool_use', name: 'AskUserQuestion', input: { questions } }] },
        { content: [{ type: 'text', text: 'SQLite then' }] },
      ]);
      const { turn } = f.chats.send({ chatId: chat.id, message: 'set up storage' });
      const pending = await nextPending(f, chat.id);
      expect(pending).toMatchObject({
        toolName: 'AskUserQuestion',
        input: { questions: [{ question: 'Which database?' }] },
      });
      expect(f.store.chats.get(chat.id)!.status).toBe('needs-attention');
      const api = caller(f, phone);
      await expect(api.approvals.answer({ requestId: pending.requestId, answer: 'allow' })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: 'Answer every question: "Which database?"',
      });
      await expect(api.approvals.answer({ requestId: pending.requestId, answer: 'always' })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
      await api.approvals.answer({
        requestId: pending.requestId,
        answer: 'allow',
        answers: { 'Which database?': 'SQLite' },
      });
      expect(await waitForTurn(f, turn.id)).toMatchObject({ status: 'done' });
      expect(JSON.stringify(model!.requests.filter((r) => r.scripted).at(-1)!.body.messages)).toContain(
        '\\"Which database?\\"=\\"SQLite\\"',
      );
      const resolved = f.chats.history({ chatId: chat.id }).events.find((e) => e.type === 'approval-resolved')!;
      expect(resolved.event).toMatchObject({
        behavior: 'allow',
        updatedInput: { answers: { 'Which database?': 'SQLite' } },
        by: { device: 'Chrome on Android' },
      });
    },
  );

  it('bad answers get clear errors', async () => {
    fixture = await createChatFixture();
    const api = caller(fixture, cli);
    await expect(api.approvals.answer({ requestId: 'nope', answer: 'allow' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'No pending approval request nope',
    });
    await expect(api.approvals.answer({ requestId: 'nope', answer: 'allow', message: 'x' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(api.approvals.answer({ requestId: 'nope', answer: 'maybe' as never })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(
      api.approvals.answer({ requestId: 'nope', answer: 'allow', answers: { q: '' } }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(caller(fixture, null).approvals.list()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});

// The real Codex, run as `codex app-server`: its command approval requests reach Band as the same pending approvals,
// answered through the same router.
async function realCodex(script: Parameters<typeof startScriptedModel>[0]) {
  model = await startScriptedModel(script);
  fixture = await createChatFixture({
    agents: [{ id: 'codex', type: 'codex', label: 'Codex', command: findCodexBinary()! }],
    createAgent: (config, f) =>
      createCodingAgent({
        type: config.type,
        command: config.command,
        baseEnv: { PATH: process.env.PATH },
        env: codexOfflineEnv({ home: join(f.dir, 'codex-home'), baseUrl: model!.url }),
      }),
  });
  const chat = fixture.chats.create({ workspaceId: fixture.workspace.id, mode: 'default' });
  return { f: fixture, chat, file: join(fixture.workspace.path, 'approved.txt') };
}

const shell = (cmd: string) => ({ content: [{ type: 'tool_use' as const, name: 'exec_command', input: { cmd } }] });

describe('approvals with the real Codex (app-server)', { timeout: 150_000 }, () => {
  it(
    'approve from the phone: the file exists, the turn ends, and the device is recorded; ' +
      'a second answer is refused',
    async () => {
      const { f, chat, file } = await realCodex([
        shell('echo ok > approved.txt'),
        { content: [{ type: 'text', text: 'done' }] },
      ]);
      const { turn } = f.chats.send({ chatId: chat.id, message: 'write approved.txt' });
      const pending = await nextPending(f, chat.id);
      expect(pending).toMatchObject({
        chatId: chat.id,
        turnId: turn.id,
        toolName: 'Bash',
        input: { command: expect.stringContaining('echo ok > approved.txt') },
      });
      expect(f.store.chats.get(chat.id)!.status).toBe('needs-attention');
      expect(existsSync(file)).toBe(false);
      await caller(f, phone).approvals.answer({ requestId: pending.requestId, answer: 'allow' });
      await expect(
        caller(f, cli).approvals.answer({ requestId: pending.requestId, answer: 'deny' }),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await waitForTurn(f, turn.id)).toMatchObject({ status: 'done' });
      expect(readFileSync(file, 'utf8')).toBe('ok\n');
      const resolved = f.chats.history({ chatId: chat.id }).events.find((e) => e.type === 'approval-resolved')!;
      expect(resolved.event).toMatchObject({
        behavior: 'allow',
        scope: 'once',
        by: { via: 'dashboard', device: 'Chrome on Android' },
      });
      expect(f.chats.approvals()).toEqual([]);
    },
  );

  it('deny from the CLI with a message: the file is absent and the model’s next request holds the denial', async () => {
    const { f, chat, file } = await realCodex([
      shell('echo ok > approved.txt'),
      { content: [{ type: 'text', text: 'ok, not doing it' }] },
    ]);
    const { turn } = f.chats.send({ chatId: chat.id, message: 'write approved.txt' });
    const pending = await nextPending(f, chat.id);
    await caller(f, cli).approvals.answer({
      requestId: pending.requestId,
      answer: 'deny',
      message: 'Not in this repo, please',
    });
    expect(await waitForTurn(f, turn.id)).toMatchObject({ status: 'done' });
    expect(existsSync(file)).toBe(false);
    expect(JSON.stringify(model!.requests.filter((r) => r.scripted).at(-1)!.body.input)).toContain(
      'Not in this repo, please',
    );
    const resolved = f.chats.history({ chatId: chat.id }).events.find((e) => e.type === 'approval-resolved')!;
    expect(resolved.event).toMatchObject({
      behavior: 'deny',
      message: 'Not in this repo, please',
      by: { via: 'token' },
    });
  });

  it('always: the next command of the chat is allowed by the rule', async () => {
    const { f, chat, file } = await realCodex([
      shell('echo ok > approved.txt'),
      shell('echo again >> approved.txt'),
      { content: [{ type: 'text', text: 'done' }] },
    ]);
    const { turn } = f.chats.send({ chatId: chat.id, message: 'write approved.txt twice' });
    const pending = await nextPending(f, chat.id);
    await caller(f, cli).approvals.answer({ requestId: pending.requestId, answer: 'always' });
    expect(await waitForTurn(f, turn.id)).toMatchObject({ status: 'done' });
    expect(readFileSync(file, 'utf8')).toBe('ok\nagain\n');
    const answers = f.chats
      .history({ chatId: chat.id })
      .events.filter((e) => e.type === 'approval-resolved')
      .map((e) => e.event);
    expect(answers).toMatchObject([
      { behavior: 'allow', scope: 'always', by: { via: 'token' } },
      { behavior: 'allow', scope: 'always', by: { via: 'rule' } },
    ]);
  });

  it('abort while pending: the request resolves as denied, the turn is aborted and no process is left', async () => {
    const { f, chat, file } = await realCodex([
      shell('echo ok > approved.txt'),
      { content: [{ type: 'text', text: 'done' }] },
    ]);
    const { turn } = f.chats.send({ chatId: chat.id, message: 'write approved.txt' });
    const pending = await nextPending(f, chat.id);
    const { pid } = (JSON.parse(readFileSync(join(f.home, AGENT_PIDS_FILE), 'utf8')) as Array<{ pid: number }>)[0]!;
    expect(groupAlive(pid)).toBe(true);
    await f.chats.abort({ chatId: chat.id });
    expect(await waitForTurn(f, turn.id)).toMatchObject({ status: 'aborted' });
    expect(existsSync(file)).toBe(false);
    const resolved = f.chats.history({ chatId: chat.id }).events.find((e) => e.type === 'approval-resolved')!;
    expect(resolved.event).toMatchObject({ requestId: pending.requestId, behavior: 'deny', by: { via: 'abort' } });
    await expect(
      caller(f, phone).approvals.answer({ requestId: pending.requestId, answer: 'allow' }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(groupAlive(pid)).toBe(false);
  });
});
