import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AgentEvent, createCodingAgent } from '../src/index.js';
import {
  claudeCodeOfflineEnv,
  findClaudeCodeBinary,
  type ScriptedModel,
  startScriptedModel,
} from '../src/testing/index.js';

// The real @anthropic-ai/claude-code CLI (a devDependency), fully offline against a scripted Messages API.
const claude = findClaudeCodeBinary();
let dir: string;
let repo: string;
let model: ScriptedModel | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'band-claude-'));
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
    type: 'claude-code',
    command: claude,
    baseEnv: { PATH: process.env.PATH },
    env: claudeCodeOfflineEnv({ home: join(dir, 'home'), baseUrl: url }),
  });
}

describe('real Claude Code against a scripted model', () => {
  it('writes a file in the worktree and streams its events in order', async () => {
    expect(claude && existsSync(claude)).toBeTruthy();
    const file = join(repo, 'hello.txt');
    model = await startScriptedModel([
      {
        content: [
          { type: 'text', text: 'Creating the file.' },
          { type: 'tool_use', name: 'Write', input: { file_path: file, content: 'hello from claude\n' } },
        ],
      },
      { content: [{ type: 'text', text: 'done' }] },
    ]);
    const session = agent(model.url).runSession('Create hello.txt', { cwd: repo, mode: 'edit' });
    const events: AgentEvent[] = [];
    for await (const event of session) events.push(event);

    expect(readFileSync(file, 'utf8')).toBe('hello from claude\n');
    const kinds = events.map((e) => e.type).filter((k, i, all) => k !== all[i - 1]);
    expect(kinds).toEqual(['session-start', 'text-delta', 'tool-use', 'tool-result', 'text-delta', 'session-result']);
    const start = events[0] as Extract<AgentEvent, { type: 'session-start' }>;
    expect(start.cwd).toBe(repo);
    expect(
      events
        .filter((e) => e.type === 'text-delta')
        .map((e) => (e as { text: string }).text)
        .join(''),
    ).toBe('Creating the file.done');
    expect(events.find((e) => e.type === 'tool-use')).toMatchObject({ name: 'Write', input: { file_path: file } });
    expect(events.find((e) => e.type === 'tool-result')).toMatchObject({ isError: false });
    expect(events.at(-1)).toMatchObject({
      type: 'session-result',
      status: 'success',
      numTurns: 2,
      result: 'done',
      sessionId: start.sessionId,
    });
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: repo, encoding: 'utf8' })).toContain('?? hello.txt');
    // The prompt reached the model.
    expect(JSON.stringify(model.requests[0]!.body.messages)).toContain('Create hello.txt');
  });

  it('resumes a session by id: the model sees the earlier conversation', async () => {
    model = await startScriptedModel([
      { content: [{ type: 'text', text: 'first answer' }] },
      { content: [{ type: 'text', text: 'second answer' }] },
    ]);
    const first = agent(model.url).runSession('remember the word banana', { cwd: repo });
    for await (const _ of first);
    const sessionId = first.sessionId!;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const second = agent(model.url).runSession('what was the word?', { cwd: repo, sessionId });
    const events: AgentEvent[] = [];
    for await (const event of second) events.push(event);
    expect(events.at(-1)).toMatchObject({ status: 'success', result: 'second answer' });
    const history = JSON.stringify(model.requests.filter((r) => r.scripted).at(-1)!.body.messages);
    expect(history).toContain('remember the word banana');
    expect(history).toContain('first answer');
  });

  it('a model API failure ends the turn as failed, not as a hang', async () => {
    // 400 is not retried (401/429/5xx are, with backoff).
    model = await startScriptedModel(() => ({ content: [], errorStatus: 400 }));
    const events: AgentEvent[] = [];
    for await (const event of agent(model.url).runSession('hi', { cwd: repo })) events.push(event);
    expect(events.at(-1)).toMatchObject({ type: 'session-result', status: 'failed' });
  });
});
