import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApprovalBridge, sweepStaleApprovalDirs } from '../src/approval-bridge.js';
import { type AgentEvent, APPROVAL_PROMPT_TOOL, type AgentSession, createCodingAgent } from '../src/index.js';
import {
  claudeCodeOfflineEnv,
  findClaudeCodeBinary,
  type ScriptedModel,
  startScriptedModel,
} from '../src/testing/index.js';

// The real Claude Code in its default permission mode: Bash needs permission, which goes through Band's MCP
// permission prompt tool to the session's `approval-request` events.
const claude = findClaudeCodeBinary();
let dir: string;
let repo: string;
let model: ScriptedModel | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'band-approvals-test-'));
  repo = join(dir, 'repo');
  mkdirSync(repo);
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
});
afterEach(async () => {
  await model?.close();
  model = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const bashScript = () => [
  {
    content: [
      {
        type: 'tool_use' as const,
        name: 'Bash',
        input: { command: 'echo ok > approved.txt', description: 'Write approved.txt' },
      },
    ],
  },
  { content: [{ type: 'text' as const, text: 'finished' }] },
];

function run(url: string): AgentSession {
  return createCodingAgent({
    type: 'claude-code',
    command: claude,
    baseEnv: { PATH: process.env.PATH },
    env: claudeCodeOfflineEnv({ home: join(dir, 'home'), baseUrl: url }),
  }).runSession('Write approved.txt', { cwd: repo, mode: 'default', approvals: true });
}

/** Iterates the session, answering each approval request with `answer`. */
async function drive(
  session: AgentSession,
  answer: (event: Extract<AgentEvent, { type: 'approval-request' }>) => void | Promise<void>,
) {
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

describe('approvals with the real Claude Code', () => {
  it('allow: the Bash command runs, the turn ends, and the request and answer are in the stream', async () => {
    model = await startScriptedModel(bashScript());
    const session = run(model.url);
    let configPath = '';
    const events = await drive(session, (request) => {
      // The capability is in the 0600 config file, never on the CLI's argv.
      const argv = readFileSync(`/proc/${session.pid}/cmdline`, 'utf8').split('\0');
      configPath = argv[argv.indexOf('--mcp-config') + 1]!;
      expect(statSync(configPath).mode & 0o777).toBe(0o600);
      const capability = JSON.parse(readFileSync(configPath, 'utf8')).mcpServers.band_approvals.env
        .BAND_APPROVAL_CAPABILITY as string;
      expect(capability).toMatch(/^[0-9a-f]{64}$/);
      expect(argv.join(' ')).not.toContain(capability);
      expect(argv).toContain(APPROVAL_PROMPT_TOOL);
      expect(session.pendingApprovals().map((p) => p.requestId)).toEqual([request.requestId]);
      expect(session.respond(request.requestId, { behavior: 'allow', by: { via: 'test' } })).toBe(true);
      // The second answer loses.
      expect(session.respond(request.requestId, { behavior: 'deny' })).toBe(false);
    });
    expect(existsSync(join(repo, 'approved.txt'))).toBe(true);
    const request = events.find((e) => e.type === 'approval-request');
    expect(request).toMatchObject({ toolName: 'Bash', input: { command: 'echo ok > approved.txt' } });
    expect(events.find((e) => e.type === 'approval-resolved')).toMatchObject({
      behavior: 'allow',
      by: { via: 'test' },
    });
    expect(events.at(-1)).toMatchObject({ type: 'session-result', status: 'success', result: 'finished' });
    // The per-turn directory (config file with the capability, socket) is gone.
    expect(existsSync(dirname(configPath))).toBe(false);
  });

  it('an approval server slow to start (8 s, a busy machine) is waited for: the request still arrives', async () => {
    // Claude Code waits 5 s by default and then looks the tool up without it: "MCP tool … not found", turn failed.
    model = await startScriptedModel(bashScript());
    const slow = join(dirname(new URL(import.meta.url).pathname), 'fixtures', 'slow-approval-server.cjs');
    const session = createCodingAgent({
      type: 'claude-code',
      command: claude,
      baseEnv: { PATH: process.env.PATH },
      env: {
        ...claudeCodeOfflineEnv({ home: join(dir, 'home'), baseUrl: model.url }),
        NODE_OPTIONS: `--require ${slow}`,
        SLOW_APPROVAL_START_MS: '8000',
      },
    }).runSession('Write approved.txt', { cwd: repo, mode: 'default', approvals: true });
    const events = await drive(session, (request) => {
      session.respond(request.requestId, { behavior: 'allow' });
    });
    expect(events.find((e) => e.type === 'approval-request')).toMatchObject({ toolName: 'Bash' });
    expect(events.at(-1)).toMatchObject({ type: 'session-result', status: 'success' });
    expect(existsSync(join(repo, 'approved.txt'))).toBe(true);
  }, 120_000);

  it('deny with a message: the command does not run and the model receives the message', async () => {
    model = await startScriptedModel(bashScript());
    const session = run(model.url);
    await drive(session, (request) => {
      session.respond(request.requestId, { behavior: 'deny', message: 'not on a Friday' });
    });
    expect(existsSync(join(repo, 'approved.txt'))).toBe(false);
    const last = model.requests.filter((r) => r.scripted).at(-1)!;
    expect(JSON.stringify(last.body.messages)).toContain('not on a Friday');
  });

  it('abort while a request is pending: it resolves as denied and no process is left', async () => {
    model = await startScriptedModel(bashScript());
    const session = run(model.url);
    const events = await drive(session, () => session.abort());
    expect(existsSync(join(repo, 'approved.txt'))).toBe(false);
    const request = events.find((e) => e.type === 'approval-request') as Extract<
      AgentEvent,
      { type: 'approval-request' }
    >;
    expect(events.find((e) => e.type === 'approval-resolved')).toMatchObject({
      requestId: request.requestId,
      behavior: 'deny',
      by: { via: 'abort' },
    });
    expect(events.at(-1)).toMatchObject({ type: 'session-result', status: 'aborted' });
    expect(groupGone(session.pid!)).toBe(true);
    expect(session.respond(request.requestId, { behavior: 'allow' })).toBe(false);
  });
});

describe('questions and plans through the same channel (real Claude Code)', () => {
  it('AskUserQuestion: the chosen answers reach the model as the tool result', async () => {
    const questions = [
      {
        question: 'Which color?',
        header: 'Color',
        multiSelect: false,
        options: [
          { label: 'Red', description: 'warm' },
          { label: 'Blue', description: 'cool' },
        ],
      },
    ];
    model = await startScriptedModel([
      { content: [{ type: 'tool_use', name: 'AskUserQuestion', input: { questions } }] },
      { content: [{ type: 'text', text: 'blue it is' }] },
    ]);
    const session = run(model.url);
    const events = await drive(session, (request) => {
      expect(request).toMatchObject({
        toolName: 'AskUserQuestion',
        input: { questions: [{ question: 'Which color?' }] },
      });
      session.respond(request.requestId, {
        behavior: 'allow',
        updatedInput: { ...(request.input as object), answers: { 'Which color?': 'Blue' } },
      });
    });
    expect(events.find((e) => e.type === 'approval-resolved')).toMatchObject({
      behavior: 'allow',
      updatedInput: { answers: { 'Which color?': 'Blue' } },
    });
    expect(events.find((e) => e.type === 'tool-result')).toMatchObject({
      isError: false,
      output: expect.stringContaining('"Which color?"="Blue"'),
    });
    expect(JSON.stringify(model.requests.filter((r) => r.scripted).at(-1)!.body.messages)).toContain(
      '\\"Which color?\\"=\\"Blue\\"',
    );
  });

  it('ExitPlanMode in plan mode: a denied plan sends the message back to the model', async () => {
    model = await startScriptedModel([
      { content: [{ type: 'tool_use', name: 'ExitPlanMode', input: { plan: '1. Write approved.txt' } }] },
      { content: [{ type: 'text', text: 'revising' }] },
    ]);
    const session = createCodingAgent({
      type: 'claude-code',
      command: claude,
      baseEnv: { PATH: process.env.PATH },
      env: claudeCodeOfflineEnv({ home: join(dir, 'home'), baseUrl: model.url }),
    }).runSession('plan it', { cwd: repo, mode: 'plan', approvals: true });
    const events = await drive(session, (request) => {
      expect(request).toMatchObject({ toolName: 'ExitPlanMode', input: { plan: '1. Write approved.txt' } });
      session.respond(request.requestId, { behavior: 'deny', message: 'make the plan shorter' });
    });
    expect(events.find((e) => e.type === 'tool-result')).toMatchObject({
      isError: true,
      output: 'make the plan shorter',
    });
  });
});

describe('createApprovalBridge', () => {
  it('a session that cannot start leaves no socket or config file behind', () => {
    // os.tmpdir() follows TMPDIR: the bridge's directory would land in this private one.
    const privateTmp = join(dir, 'tmp');
    mkdirSync(privateTmp);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = privateTmp;
    try {
      const agent = createCodingAgent({ type: 'claude-code', command: claude, baseEnv: { PATH: process.env.PATH } });
      expect(() => agent.runSession('hi', { cwd: join(dir, 'missing'), approvals: true })).toThrow(
        /Working directory does not exist/,
      );
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    expect(readdirSync(privateTmp)).toEqual([]);
  });

  it(
    'a server killed with SIGKILL leaves its bridge folder; ' +
      "the next server's first bridge removes it, and only it",
    () => {
      const tmp = join(dir, 'tmp');
      mkdirSync(tmp);
      // A pid that is gone: a child that has exited.
      const dead = spawnSync(process.execPath, ['-e', '']).pid;
      const stale = join(tmp, `band-approvals-${dead}-AbC123`);
      const live = join(tmp, `band-approvals-${process.ppid}-XyZ789`); // a running process's (the test runner's parent)
      const unrelated = join(tmp, 'band-approvals-notes');
      for (const d of [stale, live, unrelated]) mkdirSync(d);
      expect(sweepStaleApprovalDirs(tmp)).toEqual([stale]);
      expect(readdirSync(tmp).sort()).toEqual([`band-approvals-${process.ppid}-XyZ789`, 'band-approvals-notes']);
      // The folder's name carries its owner's pid, so a later sweep can tell.
      const bridge = createApprovalBridge();
      try {
        expect(dirname(bridge.configPath)).toMatch(new RegExp(`/band-approvals-${process.pid}-[A-Za-z0-9]{6}$`));
        expect(sweepStaleApprovalDirs(dirname(dirname(bridge.configPath)))).not.toContain(dirname(bridge.configPath));
        expect(existsSync(bridge.configPath)).toBe(true);
      } finally {
        bridge.close();
      }
      expect(existsSync(dirname(bridge.configPath))).toBe(false);
    },
  );

  function post(socketPath: string, authorization: string, body: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ socketPath, path: '/approval', method: 'POST', headers: { authorization } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('refuses a wrong capability and a malformed body, and answers a request once', async () => {
    const bridge = createApprovalBridge();
    const events: AgentEvent[] = [];
    bridge.attach((e) => events.push(e));
    const env = JSON.parse(readFileSync(bridge.configPath, 'utf8')).mcpServers.band_approvals.env;
    try {
      expect((await post(env.BAND_APPROVAL_SOCKET, `Bearer ${'0'.repeat(64)}`, '{}')).status).toBe(401);
      expect((await post(env.BAND_APPROVAL_SOCKET, `Bearer ${env.BAND_APPROVAL_CAPABILITY}`, '{nope')).status).toBe(
        400,
      );
      const answer = post(
        env.BAND_APPROVAL_SOCKET,
        `Bearer ${env.BAND_APPROVAL_CAPABILITY}`,
        JSON.stringify({ toolName: 'WebFetch', input: { url: 'https://example.com' } }),
      );
      await vi.waitFor(() => expect(bridge.pending()).toHaveLength(1));
      const requestId = bridge.pending()[0]!.requestId;
      expect(bridge.respond(requestId, { behavior: 'deny', message: 'no' })).toBe(true);
      expect(bridge.respond(requestId, { behavior: 'allow' })).toBe(false);
      expect(JSON.parse((await answer).body)).toEqual({ behavior: 'deny', message: 'no' });
      expect(events.map((e) => e.type)).toEqual(['approval-request', 'approval-resolved']);
    } finally {
      bridge.close();
    }
    expect(existsSync(bridge.configPath)).toBe(false);
  });
});
