// What a new user stumbles on (issue 22): journeys walked through the UI only, at desktop and phone sizes.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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

/** A git repository with one commit on main. */
async function makeRepo(path: string): Promise<string> {
  await mkdir(join(path, 'src'), { recursive: true });
  await writeFile(join(path, 'src', 'app.ts'), 'export const name = "shop";\n');
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: path, env: GIT_ENV });
  execFileSync('git', ['add', '-A'], { cwd: path, env: GIT_ENV });
  execFileSync('git', ['commit', '-q', '-m', 'init'], { cwd: path, env: GIT_ENV });
  return path;
}

/** Horizontal overflow of the page: how far the document is wider than the viewport (0 when it fits). */
async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

describe('what a new user stumbles on', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let server: BandServer;
  let browser: Browser;
  let repo: string;

  beforeAll(async () => {
    home = await tempDir('band-ui-new-user-');
    repo = await makeRepo(join(home.path, 'shop'));
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

  it('the sign-in page fits a phone and says where the one-time link and the token come from', async () => {
    const context = await browser.newContext(PHONE);
    const page = await context.newPage();
    // What a phone sees without a session (e.g. after a QR code expired): the sign-in page.
    await page.goto(server.url);
    const card = page.locator('[data-testid="sign-in"]');
    await card.waitFor();
    const box = (await card.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width, 'the card fits within the 390 px viewport').toBeLessThanOrEqual(390);
    expect(await horizontalOverflow(page), 'no horizontal scroll').toBe(0);
    const lead = await page.textContent('#lead');
    expect(lead).toContain('one-time sign-in link');
    expect(lead).toContain('band start');
    expect(lead).toContain('npx band');
    // The form is usable at that size: the Sign in button is inside the card.
    const button = (await page.locator('[data-testid="sign-in"] button[type="submit"]').boundingBox())!;
    expect(button.x + button.width).toBeLessThanOrEqual(box.x + box.width);
    await context.close();
  });

  it('removes a project from the UI: refused while it has ' +
    'workspaces, or with them after an explicit confirm', async () => {
    const { services } = server.api;
    const blog = await makeRepo(join(home.path, 'blog'));
    const { project: withWorkspace } = await services.projects.register({ path: blog });
    const { workspace } = await services.workspaces.create({
      project: withWorkspace.id,
      branch: 'feature/post',
      waitForSetup: true,
    });
    expect(existsSync(workspace.path)).toBe(true);

    // Desktop: the project with a workspace cannot be removed on its own; the explicit confirm removes both.
    const { context, page } = await signedInPage(browser, server, DESKTOP);
    await waitForLive(page);
    const section = page.locator(`[data-testid="project"][data-project-id="${withWorkspace.id}"]`);
    await section.locator('[data-testid="remove-project"]').click();
    const confirm = section.locator('[data-testid="remove-project-confirm"]');
    await confirm.waitFor();
    expect(await confirm.getAttribute('data-workspaces')).toBe('1');
    expect(await confirm.locator('[data-testid="remove-project-blocked"]').textContent()).toContain('1 workspace');
    expect(await confirm.textContent()).toContain('feature/post');
    expect(
      await confirm.locator('[data-testid="remove-project-submit"]').isDisabled(),
      'refused without the explicit confirm',
    ).toBe(true);
    await confirm.locator('[data-testid="remove-project-cascade"]').check();
    await confirm.locator('[data-testid="remove-project-submit"]').click();
    await section.waitFor({ state: 'detached', timeout: 30_000 });
    expect(services.projects.list().some((p: { id: string }) => p.id === withWorkspace.id)).toBe(false);
    expect(existsSync(workspace.path), 'its worktree was removed with it').toBe(false);
    expect(existsSync(join(blog, 'src', 'app.ts')), 'the repository is not touched').toBe(true);
    await context.close();

    // Phone: a project without workspaces is removed after one confirm; the home screen then shows no project.
    const notes = await makeRepo(join(home.path, 'notes'));
    const { project: empty } = await services.projects.register({ path: notes });
    const phone = await signedInPage(browser, server, PHONE);
    await waitForLive(phone.page);
    const phoneSection = phone.page.locator(`[data-testid="project"][data-project-id="${empty.id}"]`);
    await phoneSection.locator('[data-testid="remove-project"]').click();
    const phoneConfirm = phoneSection.locator('[data-testid="remove-project-confirm"]');
    expect(await phoneConfirm.getAttribute('data-workspaces')).toBe('0');
    expect(await phoneConfirm.locator('[data-testid="remove-project-cascade"]').count()).toBe(0);
    await phoneConfirm.locator('[data-testid="remove-project-submit"]').click();
    await phoneSection.waitFor({ state: 'detached', timeout: 30_000 });
    expect(services.projects.list().some((p: { id: string }) => p.id === empty.id)).toBe(false);
    expect(existsSync(notes)).toBe(true);
    await phone.context.close();
  }, 120_000);

  it('creating a workspace on a branch that already has ' +
    'one says so, and sends the prompt there on request', async () => {
    const { services } = server.api;
    const { project } = await services.projects.register({ path: repo });
    const { workspace } = await services.workspaces.create({
      project: project.id,
      branch: 'feature/existing',
      waitForSetup: true,
    });

    for (const [options, prompt] of [
      [DESKTOP, 'Add a hello.txt from the desktop'],
      [PHONE, 'Add a hello.txt from the phone'],
    ] as const) {
      const { context, page } = await signedInPage(browser, server, options);
      await waitForLive(page);
      const section = page.locator(`[data-testid="project"][data-project-id="${project.id}"]`);
      await section.locator('[data-testid="add-workspace"]').click();
      await section.locator('[data-testid="workspace-branch"]').fill('feature/existing');
      await section.locator('[data-testid="workspace-prompt"]').fill(prompt);
      await section.locator('[data-testid="workspace-submit"]').click();
      // Not silently dropped: the user is told, and nothing was sent yet.
      const notice = section.locator('[data-testid="workspace-exists"]');
      await notice.waitFor();
      expect(await notice.getAttribute('data-workspace-id')).toBe(workspace.id);
      expect(await notice.textContent()).toContain('already has a workspace');
      expect(await notice.textContent()).toContain(prompt);
      expect(page.url()).not.toContain(`/w/${workspace.id}`);
      await notice.locator('[data-testid="workspace-exists-send"]').click();
      // The prompt is sent to the existing workspace's chat, and the workspace opens with it.
      await page.waitForURL((url) => url.pathname === `/w/${workspace.id}`, { timeout: 30_000 });
      await page
        .locator('[data-testid="chat-prompt"], [data-testid="chat-queued-item"]', { hasText: prompt })
        .first()
        .waitFor({ timeout: 30_000 });
      await context.close();
    }
    const chats = services.chats.list({ workspaceId: workspace.id });
    const prompts = chats.flatMap((chat: { id: string }) =>
      services.chats
        .history({ chatId: chat.id })
        .events.flatMap(({ event }) => (event.type === 'user-message' ? [event.text] : [])),
    );
    expect(prompts).toEqual(['Add a hello.txt from the desktop', 'Add a hello.txt from the phone']);
    await services.workspaces.remove({ workspace: workspace.id });
    await services.projects.remove({ project: project.id });
  }, 120_000);

  it('removing a workspace says how many uncommitted changes are ' +
    'lost and that the branch is kept, and asks for the branch name', async () => {
    const { services } = server.api;
    const { project } = await services.projects.register({ path: repo });
    const { workspace } = await services.workspaces.create({
      project: project.id,
      branch: 'feature/unsaved',
      waitForSetup: true,
    });
    await writeFile(join(workspace.path, 'src', 'app.ts'), 'export const name = "unsaved";\n');
    await writeFile(join(workspace.path, 'src', 'new.ts'), 'export const fresh = true;\n');

    const { context, page } = await signedInPage(browser, server, PHONE);
    await page.goto(`${server.url}/w/${workspace.id}`);
    await waitForLive(page);
    // On the phone the sidebar is the home screen.
    await page.goto(server.url);
    await page.waitForSelector(`[data-workspace-id="${workspace.id}"]`);
    const row = page.locator(`li:has([data-workspace-id="${workspace.id}"])`);
    await row.locator('[data-testid="remove-workspace"]').click();
    const confirm = row.locator('[data-testid="remove-workspace-confirm"][data-state="ready"]');
    await confirm.waitFor();
    expect(await confirm.getAttribute('data-uncommitted')).toBe('2');
    expect(await confirm.locator('[data-testid="remove-workspace-loss"]').textContent()).toContain(
      '2 uncommitted changes will be lost',
    );
    expect(await confirm.locator('[data-testid="remove-workspace-branch-fate"]').textContent()).toContain(
      'feature/unsaved is kept',
    );
    const submit = confirm.locator('[data-testid="remove-workspace-submit"]');
    expect(await submit.isDisabled(), 'not removable before the branch name is typed').toBe(true);
    await confirm.locator('[data-testid="remove-workspace-type-branch"]').fill('feature/unsave');
    expect(await submit.isDisabled(), 'a wrong name does not unlock it').toBe(true);
    // Cancel keeps everything.
    await confirm.locator('[data-testid="remove-workspace-cancel"]').click();
    await confirm.waitFor({ state: 'detached' });
    expect(existsSync(join(workspace.path, 'src', 'new.ts'))).toBe(true);

    await row.locator('[data-testid="remove-workspace"]').click();
    await confirm.waitFor();
    await confirm.locator('[data-testid="remove-workspace-type-branch"]').fill('feature/unsaved');
    await submit.click();
    await page.waitForSelector(`[data-workspace-id="${workspace.id}"]`, { state: 'detached', timeout: 30_000 });
    expect(existsSync(workspace.path)).toBe(false);
    // As announced, the branch is kept.
    expect(execFileSync('git', ['branch', '--list', 'feature/unsaved'], { cwd: repo, encoding: 'utf8' })).toContain(
      'feature/unsaved',
    );
    await context.close();
  }, 120_000);
});
