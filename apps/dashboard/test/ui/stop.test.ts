// Stop means stop (issue 22, major 2): Stop ends the running turn and pauses the queued follow-ups, which wait
// for "Send now" or "Discard"; the stopped turn shows one neutral "Stopped". Desktop and phone.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fakeAgentEnv, fakeAgentPath } from '@band/agents/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type BandServer, startServer } from '@band/server/start';
import { captureLogger, SLOW } from '../helpers.js';
import { DESKTOP, launchChromium, PHONE, signedInPage, smallTouchTargets, tempDir, waitForLive } from './harness.js';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@b',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@b',
};

describe('Stop pauses the queue', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let server: BandServer;
  let browser: Browser;
  let projectId: string;

  beforeAll(async () => {
    home = await tempDir('band-ui-stop-');
    const repo = join(home.path, 'repo');
    await mkdir(repo, { recursive: true });
    await writeFile(join(repo, 'README.md'), '# r\n');
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo, env: GIT_ENV });
    execFileSync('git', ['add', '-A'], { cwd: repo, env: GIT_ENV });
    execFileSync('git', ['commit', '-q', '-m', 'init'], { cwd: repo, env: GIT_ENV });
    // Every turn streams "chunk 0 " … for a minute: long enough to be stopped.
    server = await startServer({
      home: join(home.path, 'band'),
      port: 0,
      logger: captureLogger(),
      env: { ...GIT_ENV, ...fakeAgentEnv({ scenario: 'slow', events: 600, delayMs: 100 }) },
    });
    await server.settings.update((s) => ({
      ...s,
      codingAgents: [{ id: 'fake', type: 'claude-code', label: 'Fake agent', command: fakeAgentPath() }],
      defaultCodingAgent: 'fake',
    }));
    projectId = (await server.api.services.projects.register({ path: repo })).project.id;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await home?.[Symbol.asyncDispose]();
  });

  async function workspace(branch: string): Promise<string> {
    return (await server.api.services.workspaces.create({ project: projectId, branch, waitForSetup: true })).workspace
      .id;
  }

  async function send(page: Page, text: string): Promise<void> {
    await page.fill('[data-testid="chat-input"]', text);
    await page.click('[data-testid="chat-send"]');
  }

  /** The server-side status of the turn whose prompt is `prompt`. */
  function turnStatus(workspaceId: string, prompt: string): string | undefined {
    const chat = server.api.services.chats.list({ workspaceId })[0];
    return (
      chat &&
      server.api.services.chats.history({ chatId: chat.id }).turns.find((t: { prompt: string }) => t.prompt === prompt)
        ?.status
    );
  }

  it('desktop: Stop ends the turn, the follow-up waits (paused) ' +
    'until Send now; the turn says "Stopped" once', async () => {
    const workspaceId = await workspace('stop-desktop');
    const { context, page } = await signedInPage(browser, server, DESKTOP);
    await page.goto(`${server.url}/w/${workspaceId}`);
    await waitForLive(page);
    await send(page, 'Refactor everything');
    await page.waitForSelector('[data-testid="chat-text"]:has-text("chunk 3 ")', { timeout: 30_000 });
    await send(page, 'Then add tests');
    await page.locator('[data-testid="chat-queued-item"]', { hasText: 'Then add tests' }).waitFor();

    await page.click('[data-testid="chat-abort"]');
    const stoppedTurn = page.locator('[data-testid="chat-turn"][data-turn-status="stopped"]');
    await stoppedTurn.waitFor({ timeout: 30_000 });
    // One neutral line, no red box, no "aborted".
    expect(await stoppedTurn.locator('[data-testid="chat-stopped"]').count()).toBe(1);
    expect(await stoppedTurn.locator('[data-testid="chat-stopped"]').textContent()).toContain('Stopped');
    expect(await stoppedTurn.locator('[data-testid="chat-error"], [role="alert"]').count()).toBe(0);
    expect((await stoppedTurn.textContent())?.toLowerCase()).not.toContain('aborted');

    // The follow-up did not start: it is shown paused, and the server still holds it queued.
    const queue = page.locator('[data-testid="chat-queue"][data-paused="true"]');
    await queue.waitFor();
    expect(await queue.locator('[data-testid="chat-queue-title"]').textContent()).toContain('Paused');
    expect(turnStatus(workspaceId, 'Then add tests')).toBe('queued');
    expect(await page.locator('[data-testid="chat-working"]').count(), 'the agent is not shown working').toBe(0);

    // Survives a reload: the queue is still shown paused.
    await page.reload();
    await waitForLive(page);
    await queue.waitFor();

    const item = queue.locator('[data-testid="chat-queued-item"]', { hasText: 'Then add tests' });
    await item.locator('[data-testid="chat-queued-send"]').click();
    await vi.waitFor(() => expect(turnStatus(workspaceId, 'Then add tests')).toBe('running'), SLOW);
    await page
      .locator('[data-testid="chat-turn"][data-turn-status="running"] [data-testid="chat-prompt"]', {
        hasText: 'Then add tests',
      })
      .waitFor({ timeout: 30_000 });
    await queue.waitFor({ state: 'detached' });
    await page.click('[data-testid="chat-abort"]');
    await vi.waitFor(() => expect(turnStatus(workspaceId, 'Then add tests')).toBe('aborted'), SLOW);
    await context.close();
  }, 180_000);

  it('phone: after Stop one queued message is discarded and the other sent now', async () => {
    const workspaceId = await workspace('stop-phone');
    const { context, page } = await signedInPage(browser, server, PHONE);
    await page.goto(`${server.url}/w/${workspaceId}`);
    await waitForLive(page);
    await send(page, 'Start a long job');
    await page.waitForSelector('[data-testid="chat-text"]:has-text("chunk 2 ")', { timeout: 30_000 });
    await send(page, 'Stale follow-up');
    await page.locator('[data-testid="chat-queued-item"]', { hasText: 'Stale follow-up' }).waitFor();
    await send(page, 'Good follow-up');
    await page.locator('[data-testid="chat-queued-item"]', { hasText: 'Good follow-up' }).waitFor();

    await page.tap('[data-testid="chat-abort"]');
    const queue = page.locator('[data-testid="chat-queue"][data-paused="true"]');
    await queue.waitFor({ timeout: 30_000 });
    await page
      .locator('[data-testid="chat-turn"][data-turn-status="stopped"] [data-testid="chat-stopped"]')
      .waitFor({ timeout: 30_000 });
    expect(turnStatus(workspaceId, 'Stale follow-up')).toBe('queued');
    expect(turnStatus(workspaceId, 'Good follow-up')).toBe('queued');
    expect(
      (await smallTouchTargets(page)).filter((t) => t.includes('Send now') || t.includes('Discard')),
      'queue buttons are touch-sized',
    ).toEqual([]);

    await queue
      .locator('[data-testid="chat-queued-item"]', { hasText: 'Stale follow-up' })
      .locator('[data-testid="chat-queued-discard"]')
      .tap();
    await queue
      .locator('[data-testid="chat-queued-item"]', { hasText: 'Stale follow-up' })
      .waitFor({ state: 'detached' });
    expect(turnStatus(workspaceId, 'Stale follow-up')).toBe('aborted');
    expect(turnStatus(workspaceId, 'Good follow-up'), 'discarding one does not start the other').toBe('queued');

    await queue
      .locator('[data-testid="chat-queued-item"]', { hasText: 'Good follow-up' })
      .locator('[data-testid="chat-queued-send"]')
      .tap();
    await vi.waitFor(() => expect(turnStatus(workspaceId, 'Good follow-up')).toBe('running'), SLOW);
    // The discarded message is not shown as a turn of the conversation.
    expect(await page.locator('[data-testid="chat-prompt"]', { hasText: 'Stale follow-up' }).count()).toBe(0);
    await page.tap('[data-testid="chat-abort"]');
    await vi.waitFor(() => expect(turnStatus(workspaceId, 'Good follow-up')).toBe('aborted'), SLOW);
    await context.close();
  }, 180_000);
});
