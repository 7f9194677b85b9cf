// Adding a project without typing a server path from memory (issue 22, major 3): the repositories found under
// home, a folder picker rooted at home, `~` in the path field, no autocorrect on it. Phone and desktop.
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BandServer, startServer } from '@band/server/start';
import { captureLogger } from '../helpers.js';
import { DESKTOP, launchChromium, PHONE, signedInPage, smallTouchTargets, tempDir, waitForLive } from './harness.js';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@b',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@b',
};

async function makeRepo(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
  await writeFile(join(path, 'README.md'), '# r\n');
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: path, env: GIT_ENV });
  execFileSync('git', ['add', '-A'], { cwd: path, env: GIT_ENV });
  execFileSync('git', ['commit', '-q', '-m', 'init'], { cwd: path, env: GIT_ENV });
}

describe('adding a project', () => {
  let root: Awaited<ReturnType<typeof tempDir>>;
  let outside: Awaited<ReturnType<typeof tempDir>>;
  let home: string;
  let server: BandServer;
  let browser: Browser;

  beforeAll(async () => {
    root = await tempDir('band-ui-add-project-');
    outside = await tempDir('band-ui-outside-');
    home = join(root.path, 'home');
    await makeRepo(join(home, 'code', 'shop'));
    await makeRepo(join(home, 'code', 'blog'));
    await makeRepo(join(home, 'notes'));
    await mkdir(join(home, 'Documents'), { recursive: true });
    await symlink(outside.path, join(home, 'elsewhere'));
    // The server's home directory is the temporary one.
    server = await startServer({
      home: join(root.path, 'band'),
      port: 0,
      logger: captureLogger(),
      env: { ...GIT_ENV, HOME: home },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await root?.[Symbol.asyncDispose]();
    await outside?.[Symbol.asyncDispose]();
  });

  const projectPaths = () => server.api.services.projects.list().map((p: { path: string }) => p.path);

  it('phone: one tap on a repository found under home, ' +
    'then the folder picker; the path field does not autocorrect', async () => {
    const { context, page } = await signedInPage(browser, server, PHONE);
    await waitForLive(page);
    await page.tap('[data-testid="add-project-empty"]');
    const form = page.locator('[data-testid="add-project-form"]');
    await form.waitFor();
    const input = form.locator('[data-testid="project-path"]');
    expect(await input.getAttribute('autocapitalize')).toBe('off');
    expect(await input.getAttribute('autocorrect')).toBe('off');
    expect(await input.getAttribute('spellcheck')).toBe('false');

    // The repositories under home are offered.
    const found = form.locator('[data-testid="project-found-item"]');
    await found.first().waitFor({ timeout: 20_000 });
    expect((await found.allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim()).sort()).toEqual([
      'blog~/code/blog',
      'notes~/notes',
      'shop~/code/shop',
    ]);
    expect(await smallTouchTargets(page)).toEqual([]);
    await form.locator(`[data-testid="project-found-item"][data-path="${join(home, 'code', 'blog')}"]`).tap();
    await form.waitFor({ state: 'detached', timeout: 20_000 });
    await page.locator('[data-testid="project"]', { hasText: 'blog' }).waitFor();
    expect(projectPaths()).toContain(join(home, 'code', 'blog'));

    // The folder picker: home, then code, then shop (a repository) is added.
    await page.tap('[data-testid="add-project"]');
    await form.waitFor();
    await form.locator('[data-testid="project-browse"]').tap();
    const picker = form.locator('[data-testid="folder-picker"]');
    await picker.locator('[data-testid="folder-entry"][data-path="code"]').waitFor();
    const names = await picker
      .locator('[data-testid="folder-entry"]')
      .evaluateAll((els) => els.map((el) => el.getAttribute('data-path')));
    expect(names, 'only folders, and not the symlink that leaves home').toEqual(['code', 'Documents', 'notes']);
    expect(await picker.locator('[data-testid="folder-use"]').isDisabled(), 'home is not a repository').toBe(true);
    await picker.locator('[data-testid="folder-entry"][data-path="code"]').tap();
    await picker.locator('[data-testid="folder-entry"][data-path="code/shop"]').tap();
    await page.waitForSelector('[data-testid="folder-picker"][data-path="code/shop"]');
    expect(await picker.locator('[data-testid="folder-current"]').textContent()).toBe('~/code/shop');
    await picker.locator('[data-testid="folder-use"]').tap();
    await form.waitFor({ state: 'detached', timeout: 20_000 });
    expect(projectPaths()).toContain(join(home, 'code', 'shop'));
    await context.close();
  }, 120_000);

  it('desktop: ~ in the path field is expanded to the home directory', async () => {
    const { context, page } = await signedInPage(browser, server, DESKTOP);
    await waitForLive(page);
    await page.click('[data-testid="add-project"]');
    await page.fill('[data-testid="project-path"]', '~/notes');
    await page.click('[data-testid="project-submit"]');
    await page.locator('[data-testid="project"]', { hasText: 'notes' }).waitFor({ timeout: 20_000 });
    expect(projectPaths()).toContain(join(home, 'notes'));
    // A path outside home typed by hand is still the server's business (absolute paths work as before); the
    // picker itself cannot leave home.
    await page.click('[data-testid="add-project"]');
    await page.fill('[data-testid="project-path"]', '~other/x');
    await page.click('[data-testid="project-submit"]');
    expect(await page.locator('[data-testid="project-add-error"]').textContent()).toContain('~/');
    await context.close();
  }, 120_000);
});
