// Desktop workspace management through the UI: add a project and a workspace, review changes (badges, split
// view, a large diff), revert a file, commit, use the terminal, remove the workspace.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BandServer, startServer } from '@band/server/start';
import { captureLogger } from '../helpers.js';
import { DESKTOP, launchChromium, signedInPage, tempDir, waitForLive } from './harness.js';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@b',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@b',
};

describe('workspace management on desktop', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let server: BandServer;
  let browser: Browser;
  let repo: string;

  beforeAll(async () => {
    home = await tempDir('band-ui-ws-');
    repo = join(home.path, 'shop');
    await mkdir(join(repo, 'src'), { recursive: true });
    await writeFile(join(repo, 'src', 'app.ts'), 'export const name = "shop";\n');
    await writeFile(join(repo, 'src', 'keep.ts'), 'export const keep = 1;\n');
    await writeFile(join(repo, 'big.txt'), '');
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo, env: GIT_ENV });
    execFileSync('git', ['add', '-A'], { cwd: repo, env: GIT_ENV });
    execFileSync('git', ['commit', '-q', '-m', 'init'], { cwd: repo, env: GIT_ENV });
    server = await startServer({
      home: join(home.path, 'band'),
      port: 0,
      logger: captureLogger(),
      env: { ...process.env, ...GIT_ENV },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await home?.[Symbol.asyncDispose]();
  });

  it('adds a project and a workspace, reviews, reverts and ' +
    'commits changes, runs a shell, removes the workspace', async () => {
    const { context, page } = await signedInPage(browser, server, DESKTOP);
    page.on('dialog', (dialog) => void dialog.accept());
    await waitForLive(page);

    // --- add project, add workspace ---
    await page.click('[data-testid="add-project"]');
    await page.fill('[data-testid="project-path"]', repo);
    await page.click('[data-testid="project-submit"]');
    await page.waitForSelector('[data-testid="project"]');
    await page.click('[data-testid="add-workspace"]');
    await page.fill('[data-testid="workspace-branch"]', 'feature/ui');
    await page.click('[data-testid="workspace-submit"]');
    await page.waitForURL(/\/w\/[^/]+$/, { timeout: 30_000 });
    await page.waitForSelector('[data-testid="workspace-view"]');
    const workspace = server.api.services.workspaces.list().find((w: { branch: string }) => w.branch === 'feature/ui')!;
    expect(workspace).toBeTruthy();

    // --- changes in the worktree: modified, untracked, and a large one ---
    await writeFile(join(workspace.path, 'src', 'app.ts'), 'export const name = "shop v2";\n');
    await writeFile(join(workspace.path, 'src', 'keep.ts'), 'export const keep = 2;\n');
    await writeFile(join(workspace.path, 'src', 'new.ts'), 'export const fresh = true;\n');
    await writeFile(join(workspace.path, 'big.txt'), Array.from({ length: 4_000 }, (_, i) => `line ${i}`).join('\n'));
    await page.click('[data-testid="changes-reload"]');
    await page.waitForSelector('[data-testid="change-file"][data-path="src/new.ts"]');
    expect(await page.getAttribute('[data-testid="change-file"][data-path="src/app.ts"]', 'data-status')).toBe('M');
    expect(await page.getAttribute('[data-testid="change-file"][data-path="src/new.ts"]', 'data-status')).toBe('U');

    // A large diff renders a bounded number of rows, with the rest on demand.
    await page.click('[data-testid="change-file"][data-path="big.txt"] [data-testid="change-file-toggle"]');
    await page.waitForSelector('[data-testid="diff-show-all"]');
    expect(await page.locator('[data-testid="change-file"][data-path="big.txt"] tr').count()).toBeLessThanOrEqual(
      1_500,
    );
    await page.click('[data-testid="change-file"][data-path="big.txt"] [data-testid="change-file-toggle"]');

    // Unified and split views of the same diff.
    await page.click('[data-testid="change-file"][data-path="src/app.ts"] [data-testid="change-file-toggle"]');
    await page.waitForSelector('[data-testid="diff"][data-view="unified"] tr[data-kind="del"]');
    await page.click('[data-testid="changes-view-split"]');
    await page.waitForSelector('[data-testid="diff"][data-view="split"]');
    expect(await page.textContent('[data-testid="diff"]')).toContain('shop v2');

    // Revert one file: it is back to the base version and leaves the list.
    await page.click('[data-testid="change-file"][data-path="src/keep.ts"] [data-testid="change-revert"]');
    await page.waitForSelector('[data-testid="change-file"][data-path="src/keep.ts"]', { state: 'detached' });
    expect(await readFile(join(workspace.path, 'src', 'keep.ts'), 'utf8')).toBe('export const keep = 1;\n');

    // Commit everything else.
    await page.click('[data-testid="changes-commit"]');
    await page.fill('[data-testid="commit-message"]', 'Rename the shop');
    await page.click('[data-testid="commit-submit"]');
    await page.waitForSelector('[data-testid="commit-form"]', { state: 'detached' });
    expect(execFileSync('git', ['log', '-1', '--format=%s'], { cwd: workspace.path, encoding: 'utf8' }).trim()).toBe(
      'Rename the shop',
    );
    await page.selectOption('[data-testid="changes-target"]', 'uncommitted');
    await page.waitForSelector('[data-testid="changes-empty"]');

    // --- terminal ---
    await page.click('[data-testid="pane-tab-terminal"]');
    await page.waitForSelector('[data-testid="terminal-pane"][data-state="open"]', { timeout: 30_000 });
    await page.click('[data-testid="terminal"]');
    await page.keyboard.type('echo band-$((6*7))\n');
    await page.waitForSelector('[data-testid="terminal"] .xterm-rows:has-text("band-42")', { timeout: 15_000 });

    // --- remove the workspace ---
    await page.hover(`[data-testid="workspace-link"][data-workspace-id="${workspace.id}"]`);
    await page.click(`li:has([data-workspace-id="${workspace.id}"]) [data-testid="remove-workspace"]`);
    // Everything was committed: nothing is lost, so no branch name has to be typed.
    const confirm = page.locator(
      `li:has([data-workspace-id="${workspace.id}"]) [data-testid="remove-workspace-confirm"][data-state="ready"]`,
    );
    expect(await confirm.getAttribute('data-uncommitted')).toBe('0');
    await confirm.locator('[data-testid="remove-workspace-submit"]').click();
    await page.waitForURL((url) => url.pathname === '/', { timeout: 30_000 });
    await page.waitForSelector(`[data-workspace-id="${workspace.id}"]`, { state: 'detached' });
    expect(existsSync(workspace.path)).toBe(false);
    await context.close();
  }, 180_000);
});
