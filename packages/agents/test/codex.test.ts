import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AgentEvent, type AgentSession, createCodingAgent } from '../src/index.js';
import { codexOfflineEnv, findCodexBinary, type ScriptedModel, startScriptedModel } from '../src/testing/index.js';

// The real @openai/codex CLI (a devDependency; its native binary comes from npm), run as `codex app-server` and
// driven over JSON-RPC, offline against a scripted OpenAI Responses API.
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
    // Codex reports config warnings as error items
    const kinds = events.filter((e) => e.type !== 'error').map((e) => e.type);
    expect(kinds).toEqual(['session-start', 'tool-use', 'tool-result', 'text-delta', 'session-result']);
    expect(events.find((e) => e.type === 'tool-use')).toMatchObject({
      name: 'Bash',
      input: { command: expect.stringContaining('echo hello from codex') },
    });
    expect(events.find((e) => e.type === 'tool-result')).toMatchObject({ isError: false });
    expect(events.at(-1)).toMatchObject({ type: 'session-result', status: 'success', sessionId: session.sessionId });
    expect(JSON.stringify(model.requests[0]!.body.input)).toContain('Create hello.txt');
  });

  it('resumes a thread by id: the model sees the earlier conversation', async () => {
    model = await startScriptedModel([
      { content: [{ type: 'text', text: 'first answer' }] },
      { content: [{ type: 'text', text: 'second answer' }] },
    ]);
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

type Request = Extract<AgentEvent, { type: 'approval-request' }>;

/** Iterates the session, answering each approval request with `answer`. */
async function drive(session: AgentSession, answer: (event: Request) => void | Promise<void>) {
  const events: AgentEvent[] = [];
  for await (const event of session) {
    events.push(event);
    if (event.type === 'approval-request') await answer(event);
  }
  return events;
}

function groupGone(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return false;
  } catch {
    return true;
  }
}

const shellScript = () => [
  { content: [{ type: 'tool_use' as const, name: 'exec_command', input: { cmd: 'echo ok > approved.txt' } }] },
  { content: [{ type: 'text' as const, text: 'finished' }] },
];

function runWithApprovals(url: string, mode = 'default'): AgentSession {
  return agent(url).runSession('Write approved.txt', { cwd: repo, mode, approvals: true });
}

describe('approvals with the real Codex (app-server approval requests)', () => {
  it('allow: the command runs, the turn ends, and the request and answer are in the stream', async () => {
    model = await startScriptedModel(shellScript());
    const session = runWithApprovals(model.url);
    const events = await drive(session, (request) => {
      expect(existsSync(join(repo, 'approved.txt'))).toBe(false); // it waits for the answer
      expect(session.pendingApprovals().map((p) => p.requestId)).toEqual([request.requestId]);
      expect(session.respond(request.requestId, { behavior: 'allow', by: { via: 'test' } })).toBe(true);
      expect(session.respond(request.requestId, { behavior: 'deny' })).toBe(false); // the first answer wins
    });
    expect(readFileSync(join(repo, 'approved.txt'), 'utf8')).toBe('ok\n');
    const request = events.find((e) => e.type === 'approval-request') as Request;
    expect(request).toMatchObject({
      toolName: 'Bash',
      input: { command: expect.stringContaining('echo ok > approved.txt'), cwd: repo },
    });
    const toolUse = events.find((e) => e.type === 'tool-use');
    expect(toolUse).toMatchObject({ name: 'Bash', id: request.toolUseId });
    expect(events.find((e) => e.type === 'approval-resolved')).toMatchObject({
      requestId: request.requestId,
      behavior: 'allow',
      by: { via: 'test' },
    });
    // The same event shapes as `codex exec --json`, with the request and its answer between the call and its output.
    expect(events.filter((e) => e.type !== 'error').map((e) => e.type)).toEqual([
      'session-start',
      'tool-use',
      'approval-request',
      'approval-resolved',
      'tool-result',
      'text-delta',
      'session-result',
    ]);
    expect(events.find((e) => e.type === 'tool-result')).toMatchObject({ isError: false });
    expect(events.at(-1)).toMatchObject({ type: 'session-result', status: 'success', sessionId: session.sessionId });
    await session.result;
    expect(groupGone(session.pid!)).toBe(true); // stdin closed after the turn: the app-server exited
  });

  it("deny with a message: the command does not run and the model's next request carries the denial", async () => {
    model = await startScriptedModel(shellScript());
    const session = runWithApprovals(model.url);
    const events = await drive(session, (request) => {
      session.respond(request.requestId, { behavior: 'deny', message: 'not on a Friday' });
    });
    expect(existsSync(join(repo, 'approved.txt'))).toBe(false);
    expect(events.find((e) => e.type === 'approval-resolved')).toMatchObject({
      behavior: 'deny',
      message: 'not on a Friday',
    });
    expect(events.find((e) => e.type === 'tool-result')).toMatchObject({ isError: true });
    expect(events.at(-1)).toMatchObject({ type: 'session-result', status: 'success' });
    const last = JSON.stringify(model.requests.filter((r) => r.scripted).at(-1)!.body.input);
    expect(last).toContain('not on a Friday');
    expect(last).toContain('function_call_output'); // next to the declined call's output
  });

  it('a patch asks too: its changes and diff are in the request; allowed, the file is written', async () => {
    const patch = "apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: patched.txt\n+hello\n*** End Patch\nEOF\n";
    model = await startScriptedModel([
      { content: [{ type: 'tool_use', name: 'exec_command', input: { cmd: patch } }] },
      { content: [{ type: 'text', text: 'patched' }] },
    ]);
    const session = runWithApprovals(model.url, 'edit');
    const events = await drive(session, (request) => {
      session.respond(request.requestId, { behavior: 'allow', scope: 'always' });
    });
    expect(events.find((e) => e.type === 'approval-request')).toMatchObject({
      toolName: 'FileChange',
      input: { changes: [{ path: join(repo, 'patched.txt'), kind: 'add', diff: 'hello\n' }] },
    });
    expect(events.find((e) => e.type === 'tool-use')).toMatchObject({ name: 'FileChange' });
    expect(readFileSync(join(repo, 'patched.txt'), 'utf8')).toBe('hello\n');
    expect(events.at(-1)).toMatchObject({ type: 'session-result', status: 'success' });
  });

  it('abort while a request is pending: it resolves as denied and no process is left', async () => {
    model = await startScriptedModel(shellScript());
    const session = runWithApprovals(model.url);
    const events = await drive(session, () => session.abort());
    expect(existsSync(join(repo, 'approved.txt'))).toBe(false);
    const request = events.find((e) => e.type === 'approval-request') as Request;
    expect(events.find((e) => e.type === 'approval-resolved')).toMatchObject({
      requestId: request.requestId,
      behavior: 'deny',
      by: { via: 'abort' },
    });
    expect(events.at(-1)).toMatchObject({ type: 'session-result', status: 'aborted' });
    expect(groupGone(session.pid!)).toBe(true);
    expect(session.respond(request.requestId, { behavior: 'allow' })).toBe(false);
    expect(session.pendingApprovals()).toEqual([]);
  });
});
