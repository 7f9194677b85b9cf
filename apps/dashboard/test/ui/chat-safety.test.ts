// Agent output is attacker-influenced (prompt injection, hostile repos): the Chat pane must render it as inert
// text and sanitized markdown, never as HTML (auth.md §3.3). Driven by the real Claude Code CLI.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  claudeCodeOfflineEnv,
  findClaudeCodeBinary,
  type ScriptedModel,
  startScriptedModel,
} from '@band/agents/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BandServer, startServer } from '@band/server/start';
import { captureLogger } from '../helpers.js';
import { DESKTOP, launchChromium, signedInPage, tempDir, waitForLive } from './harness.js';

const HOSTILE = [
  'Here is **bold** text and `code`.',
  '<img src=x onerror="window.__pwned = 1"> <script>window.__pwned = 2</script>',
  '[harmless](https://example.com) [click me](javascript:window.__pwned=3) [data](data:text/html,<b>x</b>)',
].join('\n\n');

describe('chat rendering of untrusted agent output', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let model: ScriptedModel;
  let server: BandServer;
  let browser: Browser;
  let workspaceId: string;

  beforeAll(async () => {
    const claude = findClaudeCodeBinary();
    expect(claude, 'the real @anthropic-ai/claude-code CLI is installed').toBeTruthy();
    home = await tempDir('band-ui-safety-');
    const repo = join(home.path, 'repo');
    await mkdir(repo, { recursive: true });
    await writeFile(join(repo, 'README.md'), '# r\n');
    const env = {
      ...process.env,
      GIT_AUTHOR_NAME: 'b',
      GIT_AUTHOR_EMAIL: 'b@b',
      GIT_COMMITTER_NAME: 'b',
      GIT_COMMITTER_EMAIL: 'b@b',
    };
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo, env });
    execFileSync('git', ['add', '-A'], { cwd: repo, env });
    execFileSync('git', ['commit', '-q', '-m', 'init'], { cwd: repo, env });
    model = await startScriptedModel(() => ({ content: [{ type: 'text', text: HOSTILE }] }));
    server = await startServer({
      home: join(home.path, 'band'),
      port: 0,
      logger: captureLogger(),
      env: { ...process.env, ...claudeCodeOfflineEnv({ home: join(home.path, 'agent-home'), baseUrl: model.url }) },
    });
    await server.settings.update((s) => ({
      ...s,
      codingAgents: [{ id: 'claude-code', type: 'claude-code', label: 'Claude Code', command: claude }],
      defaultCodingAgent: 'claude-code',
    }));
    const { project } = await server.api.services.projects.register({ path: repo });
    workspaceId = (
      await server.api.services.workspaces.create({ project: project.id, branch: 'safety', waitForSetup: true })
    ).workspace.id;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await model?.close();
    await home?.[Symbol.asyncDispose]();
  });

  it('shows HTML and script links as text; only http(s) links become links', async () => {
    const { context, page } = await signedInPage(browser, server, DESKTOP);
    await page.goto(`${server.url}/w/${workspaceId}`);
    await waitForLive(page);
    await page.fill('[data-testid="chat-input"]', 'say something dangerous');
    await page.click('[data-testid="chat-send"]');
    await page.waitForSelector('[data-testid="chat-result"]', { timeout: 90_000 });
    const text = page.locator('[data-testid="chat-text"]');
    expect(await text.textContent()).toContain('<img src=x onerror="window.__pwned = 1">');
    expect(await text.textContent()).toContain('<script>window.__pwned = 2</script>');
    expect(await text.locator('img, script').count()).toBe(0);
    expect(await text.locator('strong').textContent()).toBe('bold');
    const hrefs = await text.locator('a').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    expect(hrefs).toEqual(['https://example.com']);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await context.close();
  }, 150_000);
});
