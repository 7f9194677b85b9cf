import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AgentEvent, createCodingAgent } from '../src/index.js';
import { codexOfflineEnv, findCodexBinary, type ScriptedModel, startScriptedModel } from '../src/testing/index.js';

// The real @openai/codex CLI (a devDependency; its native binary comes from npm), offline against a scripted
// OpenAI Responses API.
const codex = findCodexBinary();
let dir: string;
let repo: string;
let model: ScriptedModel | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'band-codex-'));
  repo = join(dir, 'repo');
  mkdirSync(repo);
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
});
afterEach(async () => {
  await model?.close();
  rmSync(dir, { recursive: true, force: true });
});

function agent(url: string) {
  return createCodingAgent({
    type: 'codex',
    command: codex,
    baseEnv: { PATH: process.env.PATH },
    env: codexOfflineEnv({ home: join(dir, 'codex-home'), baseUrl: url }),
  });
}

describe('real Codex against a scripted model', () => {
  it('runs a shell command that writes a file in the worktree and streams its events in order', async () => {
    expect(codex && existsSync(codex)).toBeTruthy();
    model = await startScriptedModel([
      { content: [{ type: 'tool_use', name: 'exec_command', input: { cmd: 'echo hello from codex > hello.txt' } }] },
      { content: [{ type: 'text', text: 'done' }] },
    ]);
    const session = agent(model.url).runSession('Create hello.txt', { cwd: repo, mode: 'edit' });
    const events: AgentEvent[] = [];
    for await (const event of session) events.push(event);

    expect(readFileSync(join(repo, 'hello.txt'), 'utf8')).toBe('hello from codex\n');
    const kinds = events.filter((e) => e.type !== 'error').map((e) => e.type); // Codex reports config warnings as error items
    expect(kinds).toEqual(['session-start', 'tool-use', 'tool-result', 'text-delta', 'session-result']);
    expect(events.find((e) => e.type === 'tool-use')).toMatchObject({ name: 'Bash', input: { command: expect.stringContaining('echo hello from codex') } });
    expect(events.find((e) => e.type === 'tool-result')).toMatchObject({ isError: false });
    expect(events.at(-1)).toMatchObject({ type: 'session-result', status: 'success', sessionId: session.sessionId });
    expect(JSON.stringify(model.requests[0]!.body.input)).toContain('Create hello.txt');
  });

  it('resumes a thread by id: the model sees the earlier conversation', async () => {
    model = await startScriptedModel([{ content: [{ type: 'text', text: 'first answer' }] }, { content: [{ type: 'text', text: 'second answer' }] }]);
    const first = agent(model.url).runSession('remember the word banana', { cwd: repo });
    for await (const _ of first);
    expect(first.sessionId).toBeTruthy();
    const second = agent(model.url).runSession('what was the word?', { cwd: repo, sessionId: first.sessionId });
    const events: AgentEvent[] = [];
    for await (const event of second) events.push(event);
    expect(events.at(-1)).toMatchObject({ type: 'session-result', status: 'success', sessionId: first.sessionId });
    const history = JSON.stringify(model.requests.at(-1)!.body.input);
    expect(history).toContain('remember the word banana');
    expect(history).toContain('first answer');
  });
});
