// Issue 20 from the CLI: the real Claude Code (offline, scripted model) asks before Bash in the default mode,
// and `band chats approvals|approve|deny` answer it through a real Band server. The real Codex (`codex app-server`,
// its own scripted Responses API) is a second agent of the same server, answered the same way.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  claudeCodeOfflineEnv,
  codexOfflineEnv,
  findClaudeCodeBinary,
  findCodexBinary,
  type ScriptedModel,
  startScriptedModel,
} from '@band/agents/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AGENT_START, SLOW } from '../../../tooling/testing/slow.js';
import { BAND_BIN, band, spawnCommand, startTestServer, type TestServer, tempDir } from './helpers.js';
import { makeRepo } from './fixtures.js';

let srv: TestServer;
let model: ScriptedModel;
let codexModel: ScriptedModel;
let scratch: Awaited<ReturnType<typeof tempDir>>;
let home: Awaited<ReturnType<typeof tempDir>>;
let env: NodeJS.ProcessEnv;
let wsPath: string;

const bash = (command: string) => ({
  content: [{ type: 'tool_use' as const, name: 'Bash', input: { command, description: 'Run it' } }],
});
const done = { content: [{ type: 'text' as const, text: 'done' }] };

beforeAll(async () => {
  scratch = await tempDir('band-cli-approvals-');
  home = await tempDir('band-cli-home-');
  await writeFile(
    join(home.path, 'settings.json'),
    JSON.stringify({
      worktreesDir: join(home.path, 'worktrees'),
      codingAgents: [
        { id: 'claude-code', type: 'claude-code', label: 'Claude Code', command: findClaudeCodeBinary() },
        { id: 'codex', type: 'codex', label: 'Codex', command: findCodexBinary() },
      ],
      defaultCodingAgent: 'claude-code',
    }),
  );
  const repo = await makeRepo(join(scratch.path, 'demo'));
  // Two turns: approved (the file is written), then denied with a message.
  const questions = [
    {
      question: 'Which license?',
      header: 'License',
      multiSelect: false,
      options: [
        { label: 'MIT', description: '' },
        { label: 'Apache-2.0', description: '' },
      ],
    },
  ];
  model = await startScriptedModel([
    bash('echo ok > approved.txt'),
    done,
    bash('echo no > denied.txt'),
    done,
    { content: [{ type: 'tool_use', name: 'AskUserQuestion', input: { questions } }] },
    done,
    bash('echo stop > exit.txt'),
    done,
    bash('echo tty > tty.txt'),
    done,
  ]);
  codexModel = await startScriptedModel([
    { content: [{ type: 'tool_use', name: 'exec_command', input: { cmd: 'echo ok > codex-approved.txt' } }] },
    done,
  ]);
  // Codex reads CODEX_HOME; Claude Code its CLAUDE_CONFIG_DIR and HOME (set last).
  const agentsEnv = {
    ...codexOfflineEnv({ home: join(scratch.path, 'codex-home'), baseUrl: codexModel.url }),
    ...claudeCodeOfflineEnv({ home: join(scratch.path, 'claude-home'), baseUrl: model.url }),
  };
  srv = await startTestServer({ home: home.path, env: agentsEnv });
  env = srv.env;
  expect((await band(['projects', 'add', repo], { env })).code).toBe(0);
  wsPath = (await band(['workspaces', 'create', 'demo', 'feat/approvals'], { env })).stdout.trim();
}, 120_000);

afterAll(async () => {
  await srv?.close();
  await model?.close();
  await codexModel?.close();
  await home?.cleanup();
  await scratch?.cleanup();
});

async function waitForRequest(): Promise<{
  requestId: string;
  chatId: string;
  toolName: string;
  input: { command: string };
}> {
  let rows: Array<{ requestId: string; chatId: string; toolName: string; input: { command: string } }> = [];
  await vi.waitFor(async () => {
    const list = await band(['chats', 'approvals', '--all', '--output', 'json'], { env });
    expect(list.code, list.stderr).toBe(0);
    rows = JSON.parse(list.stdout);
    expect(rows).toHaveLength(1);
  }, AGENT_START);
  return rows[0]!;
}

async function turnsDone(chatId: string, count: number) {
  await vi.waitFor(async () => {
    const history = JSON.parse((await band(['chats', 'history', chatId, '--output', 'json'], { env })).stdout);
    expect(history.turns.map((t: { status: string }) => t.status)).toEqual(Array(count).fill('done'));
  }, SLOW);
}

describe('band chats approvals / approve / deny', { timeout: 150_000 }, () => {
  it('approve: the command runs and the turn ends; a second answer exits 6 with "already answered"', async () => {
    // The default permission mode: Claude Code asks before Bash.
    const chatId = (await band(['chats', 'create', '--mode', 'default'], { env, cwd: wsPath })).stdout.trim();
    const sent = await band(['chats', 'send', chatId, '--message', 'write approved.txt'], { env });
    expect(sent.code, sent.stderr).toBe(0);
    const request = await waitForRequest();
    expect(request).toMatchObject({ chatId, toolName: 'Bash', input: { command: 'echo ok > approved.txt' } });

    const table = await band(['chats', 'approvals'], { env, cwd: wsPath });
    expect(table.stdout).toMatch(/^REQUEST ID\s+TOOL\s+WHAT\s+SINCE$/m);
    expect(table.stdout).toContain('echo ok > approved.txt');

    const approve = await band(['chats', 'approve', request.requestId], { env });
    expect(approve).toMatchObject({ code: 0, stdout: `Allowed ${request.requestId}\n` });
    const again = await band(['chats', 'deny', request.requestId], { env });
    expect(again.code).toBe(6);
    expect(again.stderr).toContain('already answered (allowed by token');

    await turnsDone(chatId, 1);
    expect(existsSync(join(wsPath, 'approved.txt'))).toBe(true);
    const history = await band(['chats', 'history', chatId], { env });
    expect(history.stdout).toContain('? Bash wants: echo ok > approved.txt');
    expect(history.stdout).toContain('⎿ allowed by token');
    expect((await band(['chats', 'approvals', chatId], { env })).stdout).toBe('Nothing is waiting for an answer\n');
  }, 120_000);

  it('deny with a message: the file is absent and the model reads the message', async () => {
    const chatId = (await band(['chats', 'create', '--mode', 'default'], { env, cwd: wsPath })).stdout.trim();
    expect((await band(['chats', 'send', chatId, '--message', 'write denied.txt'], { env })).code).toBe(0);
    const request = await waitForRequest();
    const deny = await band(['chats', 'deny', request.requestId, '--message', 'no files today'], { env });
    expect(deny).toMatchObject({ code: 0, stdout: `Denied ${request.requestId}\n` });
    await turnsDone(chatId, 1);
    expect(existsSync(join(wsPath, 'denied.txt'))).toBe(false);
    expect(JSON.stringify(model.requests.filter((r) => r.scripted).at(-1)!.body.messages)).toContain('no files today');
    expect((await band(['chats', 'approve', 'no-such-request'], { env })).code).toBe(5);
  }, 120_000);

  it('answer a question: one choice per question, checked before it is sent', async () => {
    const chatId = (await band(['chats', 'create', '--mode', 'default'], { env, cwd: wsPath })).stdout.trim();
    expect((await band(['chats', 'send', chatId, '--message', 'pick a license'], { env })).code).toBe(0);
    const request = await waitForRequest();
    const listed = await band(['chats', 'approvals', chatId], { env });
    expect(listed.stdout).toContain('Which license? [MIT | Apache-2.0]');
    expect((await band(['chats', 'approve', request.requestId], { env })).code).toBe(6); // a question needs answers
    const wrong = await band(['chats', 'answer', request.requestId, 'MIT', 'extra'], { env });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('1. Which license? [MIT | Apache-2.0]');
    expect(await band(['chats', 'answer', request.requestId, 'Apache-2.0'], { env })).toMatchObject({
      code: 0,
      stdout: `Answered ${request.requestId}\n`,
    });
    await turnsDone(chatId, 1);
    expect(JSON.stringify(model.requests.filter((r) => r.scripted).at(-1)!.body.messages)).toContain(
      '\\"Which license?\\"=\\"Apache-2.0\\"',
    );
    const history = await band(['chats', 'history', chatId], { env });
    expect(history.stdout).toContain('? The agent asks: Which license? [MIT | Apache-2.0]');
    expect(history.stdout).toContain('⎿ answered: Which license? → Apache-2.0 by token');
  }, 120_000);

  it('watch --exit-on-approval stops with exit 8 at a pending request; without a terminal it only prints', async () => {
    const chatId = (await band(['chats', 'create', '--mode', 'default'], { env, cwd: wsPath })).stdout.trim();
    const watched = await band(
      ['chats', 'send', chatId, '--message', 'write exit.txt', '--watch', '--exit-on-approval'],
      { env, timeoutMs: 60_000 },
    );
    expect(watched.code, watched.stderr).toBe(8);
    expect(watched.stdout).toContain('? Bash wants: echo stop > exit.txt');
    const request = await waitForRequest();
    expect(watched.stderr).toContain(`band chats approve ${request.requestId}`);
    // Not on a terminal: `chats watch` prints the request and keeps following the turn to its end.
    const follower = spawnCommand(process.execPath, [BAND_BIN, 'chats', 'watch', chatId], { env, timeoutMs: 60_000 });
    await follower.waitFor(/\? Bash wants: echo stop > exit\.txt/, 'stdout', 30_000);
    expect((await band(['chats', 'approve', request.requestId], { env })).code).toBe(0);
    const followed = await follower.done;
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toContain('[turn done]');
    expect(existsSync(join(wsPath, 'exit.txt'))).toBe(true);
  }, 120_000);

  it('on a terminal, chats watch asks y / a / n and sends the answer', async () => {
    const chatId = (await band(['chats', 'create', '--mode', 'default'], { env, cwd: wsPath })).stdout.trim();
    const tty = spawnCommand(
      'script',
      ['-qec', `"${process.execPath}" "${BAND_BIN}" chats watch ${chatId}`, '/dev/null'],
      { env, timeoutMs: 60_000 },
    );
    await tty.waitFor(/is idle: waiting for the next turn/, 'stdout', 30_000);
    expect((await band(['chats', 'send', chatId, '--message', 'write tty.txt'], { env })).code).toBe(0);
    await tty.waitFor(/Allow Bash\? \[y\]es once \/ \[a\]lways for this chat \/ \[n\]o: /, 'stdout', 30_000);
    tty.process.stdin!.write('y\r');
    const result = await tty.done;
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain('⎿ allowed by token');
    expect(existsSync(join(wsPath, 'tty.txt'))).toBe(true);
  }, 120_000);

  it('Codex: its pending command request is approved with band chats approve and the file appears', async () => {
    const chatId = (
      await band(['chats', 'create', '--agent', 'codex', '--mode', 'default'], { env, cwd: wsPath })
    ).stdout.trim();
    expect((await band(['chats', 'send', chatId, '--message', 'write codex-approved.txt'], { env })).code).toBe(0);
    const request = await waitForRequest();
    expect(request).toMatchObject({
      chatId,
      toolName: 'Bash',
      input: { command: expect.stringContaining('echo ok > codex-approved.txt') },
    });
    expect((await band(['chats', 'approvals', chatId], { env })).stdout).toContain('echo ok > codex-approved.txt');
    expect(existsSync(join(wsPath, 'codex-approved.txt'))).toBe(false);
    expect(await band(['chats', 'approve', request.requestId], { env })).toMatchObject({
      code: 0,
      stdout: `Allowed ${request.requestId}\n`,
    });
    await turnsDone(chatId, 1);
    expect(existsSync(join(wsPath, 'codex-approved.txt'))).toBe(true);
    const history = await band(['chats', 'history', chatId], { env });
    expect(history.stdout).toContain('⎿ allowed by token');
  }, 120_000);
});
