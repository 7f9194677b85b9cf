import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BandServer } from '@band/server/start';
import { launchChromium, PHONE, signedInPage, startWorkspaceServer, tempDir, waitForLive } from './harness.js';

// Issue 19: the workspace list is in the page's first HTML (read in-process as the signed-in principal), so a phone
// paints it before any script has run, instead of after the scripts load, hydrate and ask for it.
describe('the first paint carries the workspace list', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let server: BandServer;
  let workspace: { id: string };
  let browser: Browser;

  beforeAll(async () => {
    home = await tempDir('band-ui-first-paint-');
    ({ server, workspace } = await startWorkspaceServer(home.path, 'first-paint'));
    // A finished turn the user has not read: the row says so in the first paint too, not once the scripts ask.
    const { store } = server.api.services;
    store.chats.update(store.chats.create({ workspaceId: workspace.id, agentId: 'fake' }).id, { status: 'done' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await home?.[Symbol.asyncDispose]();
  });

  it('a phone with scripts off sees the project and its workspace, linked, with its agent status', async () => {
    // Signed in the usual way (the sign-in link runs a script), then the same session in a context without scripts.
    const signedIn = await signedInPage(browser, server, PHONE);
    const cookies = await signedIn.context.cookies();
    await signedIn.context.close();
    const context = await browser.newContext({ ...PHONE, javaScriptEnabled: false });
    await context.addCookies(cookies);
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    const link = page.locator('[data-testid="workspace-link"]');
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
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await waitForLive(page);
    expect(await page.locator('[data-testid="workspace-link"]').count()).toBe(1);
    // A workspace made after the page was rendered arrives through the subscription, as before.
    const [project] = server.api.services.projects.list();
    await server.api.services.workspaces.create({ project: project!.id, branch: 'second', waitForSetup: true });
    await page.waitForSelector('[data-testid="workspace-link"][data-branch="second"]');
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
