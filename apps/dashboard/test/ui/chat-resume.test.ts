// A dropped live socket mid-turn (a phone that sleeps, a network change): the dashboard shows it reconnecting,
// resumes the chat after the last event it had, and ends with every streamed chunk exactly once.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fakeAgentEnv, fakeAgentPath } from '@band/agents/testing';
import type { Browser, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BandServer, startServer } from '@band/server/start';
import { captureLogger } from '../helpers.js';
import { DESKTOP, launchChromium, tempDir, waitForLive } from './harness.js';

const CHUNKS = 40;

describe('chat resume after a dropped socket', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let server: BandServer;
  let browser: Browser;
  let workspaceId: string;

  beforeAll(async () => {
    home = await tempDir('band-ui-resume-');
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
    // The fake CLI streams "chunk 0 " … "chunk 39 ", one every 100 ms.
    server = await startServer({
      home: join(home.path, 'band'),
      port: 0,
      logger: captureLogger(),
      env: { ...process.env, ...fakeAgentEnv({ scenario: 'slow', events: CHUNKS, delayMs: 100 }) },
    });
    await server.settings.update((s) => ({
      ...s,
      codingAgents: [{ id: 'fake', type: 'claude-code', label: 'Fake agent', command: fakeAgentPath() }],
      defaultCodingAgent: 'fake',
    }));
    const { project } = await server.api.services.projects.register({ path: repo });
    workspaceId = (
      await server.api.services.workspaces.create({ project: project.id, branch: 'resume', waitForSetup: true })
    ).workspace.id;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await home?.[Symbol.asyncDispose]();
  });

  it('reconnects and shows every chunk exactly once', async () => {
    const context = await browser.newContext(DESKTOP);
    const page = await context.newPage();
    const sockets: WebSocketRoute[] = [];
    // Every live socket of the page goes through the test, which can cut it like a dead network would.
    await page.routeWebSocket(/\/api\/trpc-ws$/, (ws) => {
      ws.connectToServer();
      sockets.push(ws);
    });
    await page.goto(server.createSignInUrl());
    await page.goto(`${server.url}/w/${workspaceId}`);
    await waitForLive(page);
    await page.fill('[data-testid="chat-input"]', 'stream for a while');
    await page.click('[data-testid="chat-send"]');
    await page.waitForSelector('[data-testid="chat-text"]:has-text("chunk 5 ")', { timeout: 30_000 });

    const before = sockets.length;
    await sockets.at(-1)!.close({ code: 4000, reason: 'network lost' });
    await page.waitForSelector('[data-testid="connection-indicator"]:not([data-state="connected"])');
    await waitForLive(page);
    expect(sockets.length).toBeGreaterThan(before);

    await page.waitForSelector('[data-testid="chat-result"]', { timeout: 60_000 });
    const text = (await page.textContent('[data-testid="chat-text"]'))!.replace(/\s+/g, ' ').trim();
    const expected = Array.from({ length: CHUNKS }, (_, i) => `chunk ${i}`).join(' ');
    expect(text).toBe(expected);
    expect(await page.locator('[data-testid="chat-prompt"]').count()).toBe(1);

    // The finished turn is done, unread (the dot stands out in the sidebar) until the user engages with it.
    const dot = page.locator(`[data-testid="workspace-link"][data-workspace-id="${workspaceId}"] [data-status]`);
    await expect.poll(() => dot.getAttribute('data-status'), { timeout: 10_000 }).toBe('done');
    await page.click('[data-testid="chat-input"]');
    await expect.poll(() => dot.getAttribute('data-status'), { timeout: 10_000 }).toBe('waiting');
    expect(server.api.services.chats.workspaceStatus(workspaceId)).toBe('waiting');
    await context.close();
  }, 120_000);
});
