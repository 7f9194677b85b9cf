import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claudeCodeInvocation, codexInvocation, codexTurnInput, openCodeInvocation } from '../src/adapters.js';
import { type AgentAttachment, type AgentEvent, createCodingAgent } from '../src/index.js';
import {
  claudeCodeOfflineEnv,
  codexOfflineEnv,
  findClaudeCodeBinary,
  findCodexBinary,
  type ScriptedModel,
  startScriptedModel,
} from '../src/testing/index.js';

// A 1×1 PNG (real bytes: the model must receive exactly these).
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const claude = findClaudeCodeBinary();
let dir: string;
let repo: string;
let uploads: string;
let model: ScriptedModel | undefined;
let image: AgentAttachment;
let notes: AgentAttachment;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'band-attach-'));
  repo = join(dir, 'repo');
  uploads = join(dir, 'uploads', 'ws_1');
  mkdirSync(repo);
  mkdirSync(uploads, { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  image = {
    path: join(uploads, 'a1-shot.png'),
    name: 'shot.png',
    mediaType: 'image/png',
    kind: 'image',
    size: PNG.length,
  };
  writeFileSync(image.path, PNG);
  notes = { path: join(uploads, 'b2-notes.txt'), name: 'notes.txt', mediaType: 'text/plain', kind: 'file', size: 6 };
  writeFileSync(notes.path, 'notes\n');
});
afterEach(async () => {
  await model?.close();
  model = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('attachments in each CLI invocation', () => {
  it('Claude Code: images as base64 blocks of the stdin message, files as paths with --add-dir', () => {
    const inv = claudeCodeInvocation({ cwd: repo, prompt: 'look', attachments: [image, notes] });
    expect(inv.args.slice(inv.args.indexOf('--add-dir'))).toEqual(['--add-dir', uploads]);
    const message = JSON.parse(inv.stdin!).message;
    expect(message.content[0]).toEqual({
      type: 'image',
      source: { type: 'base64', media_type: 'image/png', data: PNG.toString('base64') },
    });
    expect(message.content[1].text).toContain('look');
    expect(message.content[1].text).toContain(notes.path);
    expect(message.content[1].text).not.toContain(image.path);
    // Without attachments the message is unchanged: a plain string, no --add-dir.
    const plain = claudeCodeInvocation({ cwd: repo, prompt: 'look' });
    expect(JSON.parse(plain.stdin!).message.content).toBe('look');
    expect(plain.args).not.toContain('--add-dir');
  });

  it('Codex: a localImage input per image, files as paths in the prompt, nothing on argv', () => {
    const inv = codexInvocation({ cwd: repo, prompt: 'look', attachments: [image, notes], sessionId: 's1' });
    expect(inv.args).toEqual(['app-server']);
    const input = codexTurnInput('look', [image, notes]);
    expect(input[0]).toEqual({ type: 'localImage', path: image.path });
    expect(input[1]).toMatchObject({ type: 'text', text: expect.stringContaining(notes.path) });
    expect(JSON.stringify(input[1])).not.toContain(image.path);
  });

  it('OpenCode: every attachment as a path in the prompt', () => {
    const inv = openCodeInvocation({ cwd: repo, prompt: 'look', attachments: [image, notes] });
    expect(inv.args.at(-1)).toContain(image.path);
    expect(inv.args.at(-1)).toContain(notes.path);
  });
});

describe('real Claude Code receives an attached image', () => {
  it("the scripted model's first request carries the " +
    "image block with the same bytes, and the file's path", async () => {
    model = await startScriptedModel([{ content: [{ type: 'text', text: 'I see a tiny image.' }] }]);
    const agent = createCodingAgent({
      type: 'claude-code',
      command: claude,
      baseEnv: { PATH: process.env.PATH },
      env: claudeCodeOfflineEnv({ home: join(dir, 'home'), baseUrl: model.url }),
    });
    const session = agent.runSession('What is in this screenshot?', { cwd: repo, attachments: [image, notes] });
    const events: AgentEvent[] = [];
    for await (const event of session) events.push(event);
    expect(events.at(-1)).toMatchObject({ type: 'session-result', status: 'success', result: 'I see a tiny image.' });

    const first =
      model.requests.find((r) => Array.isArray(r.body.tools) && r.body.tools.length > 0) ?? model.requests[0]!;
    const userContent = first.body.messages.find((m: { role: string }) => m.role === 'user').content as Array<
      Record<string, any>
    >;
    const block = userContent.find((c) => c.type === 'image');
    expect(block?.source).toMatchObject({ type: 'base64', media_type: 'image/png' });
    expect(Buffer.from(block!.source.data, 'base64').equals(PNG)).toBe(true);
    expect(JSON.stringify(userContent)).toContain(notes.path);
  }, 60_000);
});

describe('real Codex receives an attached image (localImage)', () => {
  it('in a new session and in a resumed one: ' +
    'the request carries the image as a data URL with the same bytes', async () => {
    model = await startScriptedModel([
      { content: [{ type: 'text', text: 'first' }] },
      { content: [{ type: 'text', text: 'second' }] },
    ]);
    const agent = createCodingAgent({
      type: 'codex',
      command: findCodexBinary(),
      baseEnv: { PATH: process.env.PATH },
      env: codexOfflineEnv({ home: join(dir, 'codex-home'), baseUrl: model.url }),
    });
    const dataUrl = `data:image/png;base64,${PNG.toString('base64')}`;
    const first = agent.runSession('What is in this screenshot?', { cwd: repo, attachments: [image, notes] });
    for await (const _ of first);
    expect(JSON.stringify(model.requests[0]!.body.input)).toContain(dataUrl);
    expect(JSON.stringify(model.requests[0]!.body.input)).toContain(notes.path);
    const second = agent.runSession('And this one?', { cwd: repo, sessionId: first.sessionId!, attachments: [image] });
    const events: AgentEvent[] = [];
    for await (const event of second) events.push(event);
    expect(events.at(-1)).toMatchObject({ type: 'session-result', status: 'success' });
    const last = JSON.stringify(model.requests.at(-1)!.body.input);
    expect(last).toContain('And this one?');
    expect(last.split(dataUrl).length - 1).toBe(2); // the earlier image in the history, and the new one
  }, 60_000);
});
