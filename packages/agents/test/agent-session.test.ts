import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AgentError,
  type AgentEvent,
  type AgentSession,
  type CodingAgentType,
  createCodingAgent,
  detectCodingAgents,
} from '../src/index.js';
import { type FakeAgentEnvOptions, fakeAgentEnv, fakeAgentPath } from '../src/testing/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'band-agents-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const baseEnv = { PATH: process.env.PATH };
function fake(
  type: CodingAgentType,
  options: FakeAgentEnvOptions = {},
  extra: Partial<Parameters<typeof createCodingAgent>[0]> = {},
) {
  return createCodingAgent({ type, command: fakeAgentPath(), baseEnv, env: fakeAgentEnv(options), ...extra });
}
async function collect(session: AgentSession): Promise<AgentEvent[]> {
  const events: AgentEvent[] = [];
  for await (const event of session) events.push(event);
  return events;
}
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('runSession with each CLI format', () => {
  for (const type of ['claude-code', 'codex', 'opencode'] as const) {
    it(`${type}: streams start, text, tool use and result in order, and ends`, async () => {
      const events = await collect(fake(type).runSession('hello there', { cwd: dir }));
      const kinds = events.map((e) => e.type);
      expect(kinds[0]).toBe('session-start');
      expect(kinds.at(-1)).toBe('session-result');
      expect(kinds.filter((k) => k === 'session-result')).toHaveLength(1);
      expect(kinds).toContain('tool-result');
      expect(events.find((e) => e.type === 'text-delta')).toMatchObject({ text: 'You said: hello there' });
      expect(events.at(-1)).toMatchObject({ status: 'success' });
    });
  }

  it('passes resume id, model, mode and max turns to Claude Code and keeps the session id', async () => {
    const argvFile = join(dir, 'argv.json');
    const session = fake('claude-code', { argvFile }).runSession('go', {
      cwd: dir,
      sessionId: 'abc-123',
      model: 'opus',
      mode: 'edit',
      maxTurns: 3,
    });
    const events = await collect(session);
    const { argv, cwd } = JSON.parse(readFileSync(argvFile, 'utf8'));
    expect(argv).toEqual(
      expect.arrayContaining(['-p', '--output-format', 'stream-json', '--input-format', 'stream-json', '--verbose']),
    );
    expect(argv.join(' ')).toContain('--resume abc-123 --model opus --permission-mode acceptEdits --max-turns 3');
    expect(cwd).toBe(dir);
    expect(events[0]).toMatchObject({ type: 'session-start', sessionId: 'abc-123' });
    expect(session.sessionId).toBe('abc-123');
  });

  it(
    'runs Codex as `app-server`: plan mode is a read-only sandbox, ' +
      'it resumes by thread id, and the prompt goes in turn/start',
    async () => {
      const argvFile = join(dir, 'argv.json');
      const session = fake('codex', { argvFile }).runSession('--upload-pack=evil', {
        cwd: dir,
        sessionId: 'th_1',
        mode: 'plan',
        model: 'gpt-x',
      });
      const events = await collect(session);
      const { argv, rpc } = JSON.parse(readFileSync(argvFile, 'utf8'));
      expect(argv).toEqual(['app-server']);
      expect(rpc.map((m: { method: string }) => m.method)).toEqual([
        'initialize',
        'initialized',
        'thread/resume',
        'turn/start',
      ]);
      // Without approvals, Codex never asks (as `codex exec` did).
      expect(rpc[2].params).toEqual({
        threadId: 'th_1',
        cwd: dir,
        model: 'gpt-x',
        sandbox: 'read-only',
        approvalPolicy: 'never',
        excludeTurns: true,
      });
      expect(rpc[3].params).toEqual({
        threadId: 'th_1',
        input: [{ type: 'text', text: '--upload-pack=evil', text_elements: [] }],
      });
      expect(events[0]).toMatchObject({ type: 'session-start', sessionId: 'th_1' });
      expect(events.find((e) => e.type === 'text-delta')).toMatchObject({ text: 'You said: --upload-pack=evil' });
      expect(events.at(-1)).toMatchObject({ type: 'session-result', status: 'success', sessionId: 'th_1' });
      // stdin closed after the turn: the app-server exited on its own.
      expect(alive(session.pid!)).toBe(false);
    },
  );

  it(
    'starts the CLI without any BAND_* variable of the host (BAND_TOKEN, ' +
      'BAND_HOME...), keeping the rest and explicit env',
    async () => {
      const argvFile = join(dir, 'argv.json');
      const host = {
        ...baseEnv,
        BAND_TOKEN: 'a'.repeat(64),
        BAND_HOME: dir,
        BAND_SERVER_URL: 'http://127.0.0.1:1',
        band_lower: 'x',
        KEEP_ME: '1',
      };
      const agent = createCodingAgent({
        type: 'claude-code',
        command: fakeAgentPath(),
        baseEnv: host,
        env: { ...fakeAgentEnv({ argvFile }), BAND_WORKSPACE_ID: 'ws_1' },
      });
      await collect(agent.runSession('hi', { cwd: dir }));
      const { envNames } = JSON.parse(readFileSync(argvFile, 'utf8')) as { envNames: string[] };
      expect(envNames.filter((name) => /^band_/i.test(name))).toEqual(['BAND_WORKSPACE_ID']);
      expect(envNames).toContain('KEEP_ME');
    },
  );

  it('passes an OpenCode prompt after `--` so it can never be read as an option', async () => {
    const argvFile = join(dir, 'argv.json');
    await collect(fake('opencode', { argvFile }).runSession('--help me', { cwd: dir, model: 'anthropic/x' }));
    const { argv } = JSON.parse(readFileSync(argvFile, 'utf8'));
    expect(argv).toEqual(['run', '--format', 'json', '--model', 'anthropic/x', '--', '--help me']);
  });
});

describe('failures', () => {
  it('a missing CLI is an AgentError naming the npm package to install', () => {
    for (const [type, pkg] of [
      ['claude-code', '@anthropic-ai/claude-code'],
      ['codex', '@openai/codex'],
      ['opencode', 'opencode-ai'],
    ] as const) {
      const agent = createCodingAgent({ type, baseEnv: { PATH: dir } });
      try {
        agent.runSession('hi', { cwd: dir });
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(AgentError);
        expect((error as AgentError).code).toBe('CLI_NOT_FOUND');
        expect((error as AgentError).hint).toContain(`npm i -g ${pkg}`);
      }
    }
  });

  it('a missing working directory or an empty prompt is refused before spawning', () => {
    const agent = fake('claude-code');
    expect(() => agent.runSession('hi', { cwd: join(dir, 'nope') })).toThrow(/Working directory does not exist/);
    expect(() => agent.runSession('  ', { cwd: dir })).toThrow(/prompt is empty/);
  });

  it('a crash mid-stream ends with an error carrying the redacted stderr tail and a failed result', async () => {
    const events = await collect(fake('claude-code', { scenario: 'crash' }).runSession('hi', { cwd: dir }));
    expect(events.map((e) => e.type)).toEqual(['session-start', 'text-delta', 'error', 'error', 'session-result']);
    const [truncated, crash] = events.filter((e) => e.type === 'error') as Extract<AgentEvent, { type: 'error' }>[];
    expect(truncated!.line).toBe(3);
    expect(crash!.message).toMatch(/exited with code 3/);
    expect(crash!.stderrTail).toContain('panic: something broke');
    expect(crash!.stderrTail).not.toContain('sk-ant-secret');
    expect(events.at(-1)).toMatchObject({ status: 'failed', reason: 'exit 3' });
  });

  it('a CLI that only prints to stderr and exits 1 gives its message', async () => {
    const events = await collect(fake('claude-code', { scenario: 'stderr-only' }).runSession('hi', { cwd: dir }));
    expect(events[0]).toMatchObject({ type: 'error', stderrTail: expect.stringContaining('requires --verbose') });
    expect(events.at(-1)).toMatchObject({ type: 'session-result', status: 'failed' });
  });

  it('malformed lines become error events with their line numbers, and the stream goes on', async () => {
    const events = await collect(fake('claude-code', { scenario: 'malformed' }).runSession('hi', { cwd: dir }));
    const errors = events.filter((e) => e.type === 'error');
    // line 4 is empty, line 5 is JSON but not an event: both skipped
    expect(errors.map((e) => (e as { line?: number }).line)).toEqual([2, 3]);
    expect(events.filter((e) => e.type === 'text-delta').map((e) => (e as { text: string }).text)).toEqual([
      'still here',
      'crlf line',
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'session-result', status: 'success' });
  });

  it('an API failure reported by the CLI is a failed result (codex turn.failed, opencode error)', async () => {
    const codex = await collect(fake('codex', { scenario: 'api-error' }).runSession('hi', { cwd: dir }));
    expect(codex.at(-1)).toMatchObject({
      type: 'session-result',
      status: 'failed',
      reason: expect.stringContaining('401'),
    });
    const opencode = await collect(fake('opencode', { scenario: 'api-error' }).runSession('hi', { cwd: dir }));
    expect(opencode.find((e) => e.type === 'error')).toMatchObject({ message: 'unauthorized' });
  });

  it('an oversized line is skipped with an error, not buffered without bound', async () => {
    const agent = fake('claude-code', { scenario: 'large', bytes: 200_000 }, { maxLineBytes: 10_000 });
    const events = await collect(agent.runSession('hi', { cwd: dir }));
    const errors = events.filter((e) => e.type === 'error');
    expect(errors.length).toBe(4);
    expect(errors[0]).toMatchObject({ line: 2, message: expect.stringContaining('too long') });
    expect(events.at(-1)).toMatchObject({ type: 'session-result', status: 'success' });
  });
});

describe('very large output', () => {
  it('streams 50 MB of output without losing an event', async () => {
    const bytes = 50 * 1024 * 1024;
    const session = fake('claude-code', { scenario: 'large', bytes }).runSession('hi', { cwd: dir });
    let text = 0;
    let count = 0;
    let last: AgentEvent | undefined;
    for await (const event of session) {
      if (event.type === 'text-delta') {
        text += event.text.length;
        count++;
      }
      last = event;
    }
    expect(text).toBe(bytes);
    expect(count).toBe(bytes / (64 * 1024));
    expect(last).toMatchObject({ type: 'session-result', status: 'success', result: `sent ${bytes}` });
  }, 60_000);
});

describe('abort', () => {
  it('kills the whole process tree, escalating to SIGKILL when SIGTERM is ignored', async () => {
    const pidFile = join(dir, 'pids');
    const agent = fake('claude-code', { scenario: 'hang', pidFile, ignoreSigterm: true }, { killGraceMs: 300 });
    const session = agent.runSession('hi', { cwd: dir });
    const events: AgentEvent[] = [];
    const done = (async () => {
      for await (const e of session) events.push(e);
    })();
    await vi.waitFor(() => expect(events.some((e) => e.type === 'text-delta')).toBe(true), { timeout: 10_000 });
    const [pid, grandchild] = readFileSync(pidFile, 'utf8').split(' ').map(Number) as [number, number];
    expect(alive(pid) && alive(grandchild)).toBe(true);
    await session.abort();
    await done;
    expect(alive(pid)).toBe(false);
    expect(alive(grandchild)).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'session-result', status: 'aborted' });
    await session.abort(); // idempotent
  });

  it('an AbortSignal aborts the session', async () => {
    const controller = new AbortController();
    const session = fake('codex', { scenario: 'hang', pidFile: join(dir, 'p') }).runSession('hi', {
      cwd: dir,
      signal: controller.signal,
    });
    const events: AgentEvent[] = [];
    for await (const event of session) {
      events.push(event);
      if (event.type === 'text-delta') controller.abort();
    }
    expect(events.at(-1)).toMatchObject({ type: 'session-result', status: 'aborted' });
    const [, grandchild] = readFileSync(join(dir, 'p'), 'utf8').split(' ').map(Number);
    expect(alive(grandchild!)).toBe(false);
  });

  it('a CLI that lingers after its result is stopped, and the result stays a success', async () => {
    const session = fake('claude-code', { scenario: 'linger' }, { exitAfterResultMs: 200 }).runSession('hi', {
      cwd: dir,
    });
    const events = await collect(session);
    expect(events.at(-1)).toMatchObject({ type: 'session-result', status: 'success' });
    expect(alive(session.pid!)).toBe(false);
  });

  it('a consumer that stops iterating early does not leave the CLI running', async () => {
    const session = fake('claude-code', { scenario: 'hang' }).runSession('hi', { cwd: dir });
    for await (const event of session) if (event.type === 'session-start') break;
    const result = await session.result;
    expect(result.status).toBe('aborted');
    expect(alive(session.pid!)).toBe(false);
  });
});

describe('detectCodingAgents', () => {
  it('lists the CLIs found on PATH as codingAgents entries', () => {
    for (const bin of ['claude', 'opencode']) {
      writeFileSync(join(dir, bin), '#!/bin/sh\n');
      execFileSync('chmod', ['+x', join(dir, bin)]);
    }
    writeFileSync(join(dir, 'codex'), 'not executable');
    expect(detectCodingAgents({ PATH: `${join(dir, 'missing')}:${dir}` })).toEqual([
      { id: 'claude-code', type: 'claude-code', label: 'Claude Code', command: 'claude' },
      { id: 'opencode', type: 'opencode', label: 'OpenCode', command: 'opencode' },
    ]);
    expect(detectCodingAgents({ PATH: '' })).toEqual([]);
  });
});
