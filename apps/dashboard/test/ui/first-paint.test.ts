import { join } from 'node:path';
import { fakeAgentPath } from '@band/agents/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BandServer } from '@band/server/start';
import { eventsPerTurn, promptOf, seedLongChat } from '../seed-long-chat.mjs';
import { launchChromium, PHONE, signedInPage, startWorkspaceServer, tempDir, waitForLive } from './harness.js';

// Issue 19: the workspace list, and on a workspace's page the newest messages of its chat, are in the page's first
// HTML (read in-process as the signed-in principal), so a phone paints them before any script has run, instead of
// after the scripts load, hydrate and ask for them.
/** The page's uncaught errors and console errors (a hydration mismatch is one), as they happen. */
function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  return errors;
}

describe('the first paint carries the workspace list', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let server: BandServer;
  let workspace: { id: string };
  let chatWorkspace: { id: string };
  let browser: Browser;
  /** 80 turns of 10 events: the newest page (500 events) holds the last 50. */
  const TURNS = 80;

  beforeAll(async () => {
    home = await tempDir('band-ui-first-paint-');
    ({ server, workspace } = await startWorkspaceServer(home.path, 'first-paint'));
    // A finished turn the user has not read: the row says so in the first paint too, not once the scripts ask.
    const { store } = server.api.services;
    const doneChat = store.chats.create({ workspaceId: workspace.id, agentId: 'fake' }).id;
    store.chats.update(doneChat, { status: 'done' });
    // Its turn asked for a permission and was answered: the card is in the history (its code loads on demand).
    const turn = store.turns.create({ chatId: doneChat, prompt: 'run the tests' });
    store.turns.startNext(doneChat);
    store.chatEvents.appendMany(doneChat, turn.id, [
      { type: 'user-message', turnId: turn.id, text: 'run the tests', queued: false },
      { type: 'turn-start', turnId: turn.id, agentId: 'fake', model: null, mode: 'edit' },
      { type: 'approval-request', requestId: 'req_1', toolName: 'Bash', input: { command: 'npm test' } },
      { type: 'approval-resolved', requestId: 'req_1', behavior: 'allow', scope: 'once' },
      { type: 'turn-end', turnId: turn.id, status: 'done' },
    ]);
    // A second workspace with a long chat, for the Chat pane.
    const [project] = server.api.services.projects.list();
    ({ workspace: chatWorkspace } = await server.api.services.workspaces.create({
      project: project!.id,
      branch: 'chatty',
      waitForSetup: true,
    }));
    await server.settings.update((s) => ({
      ...s,
      codingAgents: [{ id: 'fake', type: 'claude-code', label: 'Fake agent', command: fakeAgentPath() }],
      defaultCodingAgent: 'fake',
    }));
    const chatId = server.api.services.chats.create({ workspaceId: chatWorkspace.id }).id;
    const lastSeq = seedLongChat({ home: join(home.path, 'band'), chatId, turns: TURNS, deltas: 4 });
    expect(lastSeq).toBe(TURNS * eventsPerTurn(4));
    browser = await launchChromium();
  });

  /** A phone context signed in the usual way (the sign-in link runs a script), with scripts then turned off. */
  const phoneWithoutScripts = async (): Promise<BrowserContext> => {
    const signedIn = await signedInPage(browser, server, PHONE);
    const cookies = await signedIn.context.cookies();
    await signedIn.context.close();
    const context = await browser.newContext({ ...PHONE, javaScriptEnabled: false });
    await context.addCookies(cookies);
    return context;
  };
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await home?.[Symbol.asyncDispose]();
  });

  it('a phone with scripts off sees the project and its workspace, linked, with its agent status', async () => {
    const context = await phoneWithoutScripts();
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    const link = page.locator('[data-testid="workspace-link"][data-branch="first-paint"]');
    expect(await link.count()).toBe(1);
    expect(await link.getAttribute('href')).toBe(`/w/${workspace.id}`);
    expect(await link.isVisible()).toBe(true);
    expect(await link.textContent()).toContain('first-paint');
    expect(await link.locator('[data-testid="workspace-unread"]').textContent()).toBe('Done, unread');
    expect(await page.locator('[data-testid="project"] h3').textContent()).toBe('repo');
    expect(await page.locator('[data-testid="sidebar-loading"]').count()).toBe(0);
    await context.close();
  });

  it('hydrates onto the same list without a hydration error, and the list stays live', async () => {
    const { context, page } = await signedInPage(browser, server, PHONE);
    const errors = pageErrors(page);
    await waitForLive(page);
    expect(await page.locator('[data-testid="workspace-link"]').count()).toBe(2);
    // A workspace made after the page was rendered arrives through the subscription, as before.
    const [project] = server.api.services.projects.list();
    await server.api.services.workspaces.create({ project: project!.id, branch: 'second', waitForSetup: true });
    await page.waitForSelector('[data-testid="workspace-link"][data-branch="second"]');
    expect(errors).toEqual([]);
    await context.close();
  });

  it("a phone opening a workspace sees its chat's newest messages on screen before the app's scripts run", async () => {
    const { context, page } = await signedInPage(browser, server, PHONE);
    // No script of the app loads: what shows is the server's HTML (the page streams its content after the shell,
    // and React's inline script puts it in place, so scripts stay on).
    let refused = 0;
    await context.route('**/_next/static/**/*.js', (route) => {
      refused += 1;
      return route.abort();
    });
    await page.goto(`${server.url}/w/${chatWorkspace.id}`);
    await page.locator('[data-testid="chat-prompt"]').last().waitFor();
    expect(refused).toBeGreaterThan(0);
    // The app's code never ran (it marks the page once its status subscription is live).
    expect(await page.evaluate(() => document.documentElement.dataset.agentStatuses)).toBeUndefined();
    const prompts = await page.locator('[data-testid="chat-prompt"]').allTextContents();
    // The newest screen of turns, in order, ending with the last message; not the whole chat.
    expect(prompts.at(-1)).toBe(promptOf(TURNS - 1));
    expect(prompts).toEqual(prompts.map((_, i) => promptOf(TURNS - prompts.length + i)));
    expect(prompts.length).toBeLessThan(20);
    // On screen, not below a padding that only a script would scroll past.
    const box = await page.locator('[data-testid="chat-prompt"]').first().boundingBox();
    expect(box).not.toBeNull();
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.y).toBeLessThan(PHONE.viewport?.height ?? 0);
    expect(await page.locator('[data-testid="chat-pane"] [role="status"]').count()).toBe(0);
    await context.close();
  });

  it('with scripts on, the Chat pane takes that page: no second read, no hydration error, live', async () => {
    const { context, page } = await signedInPage(browser, server, PHONE);
    const errors = pageErrors(page);
    const historyReads: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('chats.history')) historyReads.push(decodeURIComponent(r.url()));
    });
    await page.goto(`${server.url}/w/${chatWorkspace.id}`);
    await waitForLive(page);
    const last = page.locator('[data-testid="chat-prompt"]', { hasText: promptOf(TURNS - 1) });
    await expect.poll(() => last.isVisible()).toBe(true);
    await expect
      .poll(() => page.locator('[data-testid="chat-transcript"]').getAttribute('data-has-older'))
      .toBe('true');
    // The newest page came with the HTML; an older page is read only when the reader scrolls up.
    expect(historyReads.filter((url) => url.includes(String(Number.MAX_SAFE_INTEGER)))).toEqual([]);
    // A message sent now appends after the served page: the stream resumed after its last event.
    await page.locator('[data-testid="chat-input"]').fill('after the served page');
    await page.locator('[data-testid="chat-send"]').click();
    await page.locator('[data-testid="chat-prompt"]', { hasText: 'after the served page' }).waitFor();
    const prompts = await page.locator('[data-testid="chat-prompt"]').allTextContents();
    expect(prompts.slice(-2)).toEqual([promptOf(TURNS - 1), 'after the served page']);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a chat with an answered permission prompt opens with its card, without a hydration error', async () => {
    const { context, page } = await signedInPage(browser, server, PHONE);
    const errors = pageErrors(page);
    await page.goto(`${server.url}/w/${workspace.id}`);
    await waitForLive(page);
    const card = page.locator('[data-testid="approval-card"]');
    await card.waitFor();
    expect(await card.getAttribute('data-state')).toBe('allowed');
    expect(await card.textContent()).toContain('npm test');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a page request without a session gets no data: the gate answers before the page is rendered', async () => {
    const response = await fetch(`${server.url}/`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    const body = await response.text();
    expect(response.status).not.toBe(200);
    expect(body).not.toContain('first-paint');
    expect(body).not.toContain(workspace.id);
  });
});
