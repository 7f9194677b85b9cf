// The pane and the open file are in the URL (issue 22, major 4): Back/Forward, reload and a shared link land
// where the user was, on the phone and on the desktop.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BandServer, startServer } from '@band/server/start';
import { captureLogger } from '../helpers.js';
import { DESKTOP, launchChromium, PHONE, signedInPage, tempDir, waitForLive } from './harness.js';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@b',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@b',
};

describe('workspace location in the URL', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let server: BandServer;
  let browser: Browser;
  let workspaceId: string;
  let worktree: string;

  beforeAll(async () => {
    home = await tempDir('band-ui-url-');
    const repo = join(home.path, 'repo');
    await mkdir(join(repo, 'src'), { recursive: true });
    await writeFile(join(repo, 'src', 'app.ts'), 'export const shop = "open";\n');
    await writeFile(join(repo, 'README.md'), '# repo\n');
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo, env: GIT_ENV });
    execFileSync('git', ['add', '-A'], { cwd: repo, env: GIT_ENV });
    execFileSync('git', ['commit', '-q', '-m', 'init'], { cwd: repo, env: GIT_ENV });
    server = await startServer({ home: join(home.path, 'band'), port: 0, logger: captureLogger(), env: GIT_ENV });
    const { project } = await server.api.services.projects.register({ path: repo });
    const { workspace } = await server.api.services.workspaces.create({
      project: project.id,
      branch: 'feature/url',
      waitForSetup: true,
    });
    workspaceId = workspace.id;
    worktree = workspace.path;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await home?.[Symbol.asyncDispose]();
  });

  const search = (page: Page) => Object.fromEntries(new URL(page.url()).searchParams);
  const onWorkspace = (page: Page) => new URL(page.url()).pathname === `/w/${workspaceId}`;

  it('phone: Back from an open file returns to the file list, ' +
    'then to Chat; Forward returns to the file; reload keeps Changes', async () => {
    const { context, page } = await signedInPage(browser, server, PHONE);
    await page.goto(`${server.url}/w/${workspaceId}`);
    await waitForLive(page);
    await page.locator('[data-testid="chat-pane"]').waitFor({ state: 'visible' });

    await page.tap('[data-testid="tab-files"]');
    await page.locator('[data-testid="file-tree"]').waitFor({ state: 'visible' });
    expect(search(page)).toEqual({ pane: 'files' });
    await page.tap('[data-testid="tree-dir"][data-path="src"]');
    await page.tap('[data-testid="tree-file"][data-path="src/app.ts"]');
    await page.locator('[data-testid="file-content"]', { hasText: 'export const shop' }).waitFor();
    expect(search(page)).toEqual({ pane: 'files', file: 'src/app.ts' });

    // Back: the file list, still in the workspace.
    await page.goBack();
    await page.locator('[data-testid="file-tree"]').waitFor({ state: 'visible' });
    expect(onWorkspace(page)).toBe(true);
    expect(await page.locator('[data-testid="file-viewer"]').count()).toBe(0);
    // Back again: Chat.
    await page.goBack();
    await page.locator('[data-testid="chat-pane"]').waitFor({ state: 'visible' });
    expect(onWorkspace(page)).toBe(true);
    // Forward twice: the file again (not Chat).
    await page.goForward();
    await page.locator('[data-testid="file-tree"]').waitFor({ state: 'visible' });
    await page.goForward();
    await page.locator('[data-testid="file-content"]', { hasText: 'export const shop' }).waitFor();

    // Reload on Changes stays on Changes.
    await page.tap('[data-testid="tab-changes"]');
    await page.locator('[data-testid="changes-pane"]').waitFor({ state: 'visible' });
    await page.reload();
    await waitForLive(page);
    await page.locator('[data-testid="changes-pane"]').waitFor({ state: 'visible' });
    expect(await page.locator('[data-testid="chat-pane"]').isVisible()).toBe(false);
    expect(await page.getAttribute('[data-testid="tab-changes"]', 'aria-current')).toBe('page');
    await context.close();
  }, 120_000);

  it('desktop: a shared link opens the file in the Files tab; ' +
    'Back returns to the previous tab; reload keeps it', async () => {
    const { context, page } = await signedInPage(browser, server, DESKTOP);
    await page.goto(`${server.url}/w/${workspaceId}?pane=files&file=src%2Fapp.ts`);
    await waitForLive(page);
    await page.locator('[data-testid="file-content"]', { hasText: 'export const shop' }).waitFor();
    expect(await page.getAttribute('[data-testid="pane-tab-files"]', 'aria-selected')).toBe('true');
    // The tree shows where the file is.
    expect(await page.getAttribute('[data-testid="tree-file"][data-path="src/app.ts"]', 'aria-current')).toBe('true');
    // An uncommitted change marks the file and its folder in the tree.
    await writeFile(join(worktree, 'src', 'app.ts'), 'export const shop = "closed";\n');
    await page.click('[data-testid="pane-tab-changes"]');
    await page.click('[data-testid="pane-tab-files"]');
    await page.waitForSelector('[data-testid="tree-file"][data-path="src/app.ts"][data-changed="M"]', {
      timeout: 20_000,
    });
    expect(await page.getAttribute('[data-testid="tree-dir"][data-path="src"]', 'data-changed')).toBe('dir');
    expect(await page.getAttribute('[data-testid="tree-file"][data-path="README.md"]', 'data-changed')).toBeNull();
    // Icon-only buttons have a tooltip (their accessible name).
    expect(await page.getAttribute('[data-testid="changes-reload"]', 'title')).toBe('Reload');

    await page.click('[data-testid="pane-tab-changes"]');
    await page.locator('[data-testid="changes-pane"]').waitFor({ state: 'visible' });
    expect(search(page)).toMatchObject({ pane: 'changes' });
    await page.reload();
    await waitForLive(page);
    await page.locator('[data-testid="changes-pane"]').waitFor({ state: 'visible' });
    expect(await page.getAttribute('[data-testid="pane-tab-changes"]', 'aria-selected')).toBe('true');
    await page.goBack();
    await page.locator('[data-testid="file-content"]', { hasText: 'export const shop' }).waitFor();
    expect(await page.getAttribute('[data-testid="pane-tab-files"]', 'aria-selected')).toBe('true');
    await context.close();
  }, 120_000);
});
