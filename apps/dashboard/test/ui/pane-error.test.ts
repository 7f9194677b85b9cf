// One pane that fails to render stays one pane's problem (issue 15, dashboard conventions): the sidebar and the
// chat go on working, the pane says what failed, and Retry brings it back. The failure is real: the server's
// answer for the Changes list is rewritten on its way to the browser into a shape the pane cannot render (as an
// older or newer server could send).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BandServer } from '@band/server';
import { DESKTOP, launchChromium, signedInPage, startWorkspaceServer, tempDir, waitForLive } from './harness.js';

describe('a pane that fails to render', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let server: BandServer;
  let browser: Browser;
  let workspaceId: string;

  beforeAll(async () => {
    home = await tempDir('band-ui-pane-error-');
    let workspace: { id: string; path: string };
    ({ server, workspace } = await startWorkspaceServer(home.path, 'feature/pane'));
    workspaceId = workspace.id;
    await writeFile(join(workspace.path, 'README.md'), '# repo, changed\n');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await home?.[Symbol.asyncDispose]();
  });

  // Rewrites each `changes.status` result of a tRPC batch into `{ files: [null] }`; the other results pass as they are.
  async function breakChangesStatus(route: Route) {
    const url = new URL(route.request().url());
    const procedures = decodeURIComponent(url.pathname.slice('/api/trpc/'.length)).split(',');
    // Playwright's own fetch sends no Sec-Fetch-* headers: the page's Origin stands in for them, as the gate asks.
    const response = await route.fetch({ headers: { ...route.request().headers(), origin: url.origin } });
    const body = (await response.json()) as unknown[];
    const rewritten = body.map((entry, i) =>
      procedures[i] === 'changes.status' ? { result: { data: { files: [null] } } } : entry,
    );
    await route.fulfill({ response, json: rewritten });
  }

  it('Changes fails alone: the chat and the sidebar stay, ' +
    'the pane names the failure, and Retry recovers it', async () => {
    const { context, page } = await signedInPage(browser, server, DESKTOP);
    await page.route(
      (url) => url.pathname.startsWith('/api/trpc/') && url.pathname.includes('changes.status'),
      breakChangesStatus,
    );
    await page.goto(`${server.url}/w/${workspaceId}?pane=changes`);
    await waitForLive(page);

    const failed = page.locator('[data-testid="pane-error"]');
    await failed.waitFor({ state: 'visible', timeout: 20_000 });
    expect(await failed.textContent()).toContain('Changes could not be shown');
    expect(await page.locator('[data-testid="changes-pane"]').count()).toBe(0);
    // Everything else still works: the sidebar lists the workspace, the chat takes input.
    expect(await page.locator('[data-testid="sidebar"]').isVisible()).toBe(true);
    await page.locator('[data-testid="chat-pane"]').waitFor({ state: 'visible' });
    await page.fill('[data-testid="chat-input"]', 'still here');
    expect(await page.inputValue('[data-testid="chat-input"]')).toBe('still here');

    // The server answers properly again: Retry mounts the pane anew, its query runs again, the change is listed.
    await page.unrouteAll();
    await page.click('[data-testid="pane-error-retry"]');
    await page.locator('[data-testid="changes-pane"]').waitFor({ state: 'visible', timeout: 20_000 });
    await page.locator('[data-testid="changes-list"]', { hasText: 'README.md' }).waitFor({ timeout: 20_000 });
    expect(await failed.count()).toBe(0);
    await context.close();
  }, 120_000);
});
