// What a new user stumbles on (issue 22), the minor batch: first-run and empty home, distinguishable "+"
// buttons, a labelled create-workspace form, the commit flow's state and wording, /favicon.ico, sign-out, and a
// phone's Settings through the tunnel showing local-only settings read-only.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fakeAgentEnv, fakeAgentPath } from '@band/agents/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BandServer, startServer } from '@band/server/start';
import { captureLogger } from '../helpers.js';
import { DESKTOP, launchChromium, PHONE, signedInPage, tempDir, tunnelBandSuite, waitForLive } from './harness.js';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@b',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@b',
};

async function makeRepo(path: string): Promise<string> {
  await mkdir(join(path, 'src'), { recursive: true });
  await writeFile(join(path, 'src', 'app.ts'), 'export const name = "shop";\n');
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: path, env: GIT_ENV });
  execFileSync('git', ['add', '-A'], { cwd: path, env: GIT_ENV });
  execFileSync('git', ['commit', '-q', '-m', 'init'], { cwd: path, env: GIT_ENV });
  return path;
}

describe('new user polish', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let server: BandServer;
  let browser: Browser;
  let repo: string;

  beforeAll(async () => {
    home = await tempDir('band-ui-polish-');
    repo = await makeRepo(join(home.path, 'shop'));
    // The fake agent writes hello.txt with the Write tool.
    server = await startServer({
      home: join(home.path, 'band'),
      port: 0,
      logger: captureLogger(),
      env: { ...GIT_ENV, HOME: home.path, ...fakeAgentEnv({ scenario: 'ok', writeFile: 'hello.txt' }) },
    });
    await server.settings.update((s) => ({
      ...s,
      codingAgents: [{ id: 'fake', type: 'claude-code', label: 'Fake agent', command: fakeAgentPath() }],
      defaultCodingAgent: 'fake',
    }));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await home?.[Symbol.asyncDispose]();
  });

  it('home: a first-run state without projects, a "create a workspace" state, ' +
    'then "pick a workspace"; the "+" buttons say what they add', async () => {
    const { context, page } = await signedInPage(browser, server, DESKTOP);
    await waitForLive(page);
    const overview = page.locator('[data-testid="home-overview"]');
    await page.waitForSelector('[data-testid="home-overview"][data-stage="first-run"]');
    expect(await overview.textContent()).toContain('Welcome to Band');
    expect(await overview.textContent()).not.toContain('Pick a workspace');

    // The two "+" buttons have different names and tooltips.
    const addProject = page.locator('[data-testid="add-project"]');
    expect(await addProject.getAttribute('aria-label')).toBe('Add project');
    expect(await addProject.getAttribute('title')).toBe('Add project');

    await page.click('[data-testid="home-add-project"]');
    await overview.locator('[data-testid="project-path"]').fill(repo);
    await overview.locator('[data-testid="project-submit"]').click();
    await page.waitForSelector('[data-testid="home-overview"][data-stage="no-workspace"]', { timeout: 20_000 });
    expect(await overview.textContent()).toContain('Create a workspace');

    const addWorkspace = page.locator('[data-testid="add-workspace"]');
    expect(await addWorkspace.getAttribute('aria-label')).toBe('New workspace in shop');
    expect(await addWorkspace.getAttribute('title')).toBe('New workspace in shop');
    // The create-workspace form is labelled (not placeholders only).
    await addWorkspace.click();
    const form = page.locator('[data-testid="add-workspace-form"]');
    expect(await form.getByLabel('Branch', { exact: true }).getAttribute('data-testid')).toBe('workspace-branch');
    expect(await form.getByLabel(/^Base branch/).getAttribute('data-testid')).toBe('workspace-base');
    expect(await form.getByLabel(/^First prompt/).getAttribute('data-testid')).toBe('workspace-prompt');
    await form.getByLabel('Branch', { exact: true }).fill('feature/polish');
    await form.locator('[data-testid="workspace-submit"]').click();
    await page.waitForURL(/\/w\//, { timeout: 30_000 });
    await page.goto(server.url);
    await page.waitForSelector('[data-testid="home-overview"][data-stage="pick"]', { timeout: 20_000 });
    await context.close();
  }, 120_000);

  it('commit: "the 1 changed file", a success message, ' +
    'then Commit is disabled and the ahead count is explained', async () => {
    const { services } = server.api;
    const project = services.projects.list()[0] ?? (await services.projects.register({ path: repo })).project;
    const { workspace } = await services.workspaces.create({
      project: project.id,
      branch: 'feature/commit',
      waitForSetup: true,
    });
    await writeFile(join(workspace.path, 'src', 'app.ts'), 'export const name = "committed";\n');
    const { context, page } = await signedInPage(browser, server, PHONE);
    await page.goto(`${server.url}/w/${workspace.id}?pane=changes`);
    await waitForLive(page);
    const commit = page.locator('[data-testid="changes-commit"]');
    await page.waitForSelector('[data-testid="changes-commit"]:not([disabled])', { timeout: 20_000 });
    // The button does not wrap on the phone.
    expect((await commit.boundingBox())!.height).toBeLessThan(50);
    await commit.tap();
    expect(await page.textContent('[data-testid="commit-form"]')).toContain('the 1 changed file on feature/commit');
    await page.fill('[data-testid="commit-message"]', 'Rename the shop');
    await page.tap('[data-testid="commit-submit"]');
    const success = page.locator('[data-testid="commit-success"]');
    await success.waitFor({ timeout: 20_000 });
    expect(await success.textContent()).toMatch(/Committed 1 file as [0-9a-f]{7} Rename the shop/);
    await page.waitForSelector('[data-testid="changes-commit"][disabled]', { timeout: 20_000 });
    expect(await commit.getAttribute('title')).toBe('Nothing uncommitted to commit');
    await page.waitForSelector('[data-testid="changes-ahead-behind"]:has-text("1 ahead, 0 behind main")', {
      timeout: 20_000,
    });
    await context.close();
  }, 120_000);

  it('the Write tool card shows the file content, and error hints show commands as code, not backticks', async () => {
    const { services } = server.api;
    const project = services.projects.list()[0] ?? (await services.projects.register({ path: repo })).project;
    const { workspace } = await services.workspaces.create({
      project: project.id,
      branch: 'feature/write',
      waitForSetup: true,
    });
    const { context, page } = await signedInPage(browser, server, DESKTOP);
    await page.goto(`${server.url}/w/${workspace.id}`);
    await waitForLive(page);
    await page.fill('[data-testid="chat-input"]', 'Write hello.txt');
    await page.click('[data-testid="chat-send"]');
    const card = page.locator('[data-testid="chat-tool"]', { hasText: 'Write' });
    await card.waitFor({ timeout: 30_000 });
    await card.locator('summary').click();
    expect(await card.locator('[data-testid="chat-tool-content"]').textContent()).toBe('hello\n');
    expect(await card.textContent()).not.toContain('"content"');

    await mkdir(join(home.path, 'not-a-repo'), { recursive: true });
    await page.goto(server.url);
    await page.click('[data-testid="add-project"]');
    await page.fill('[data-testid="project-path"]', join(home.path, 'not-a-repo'));
    await page.click('[data-testid="project-submit"]');
    const error = page.locator('[data-testid="project-add-error"]');
    await error.waitFor();
    expect(await error.textContent()).not.toContain('`');
    expect(await error.locator('code').first().textContent()).toBe('git init');
    await context.close();
  }, 120_000);

  it('a broken agent: its error shows once, with Retry (which ' +
    'sends the attachments again) and a link to the agent settings', async () => {
    const { services } = server.api;
    await server.settings.update((s) => ({
      ...s,
      codingAgents: [
        ...s.codingAgents.filter((a) => a.id !== 'broken'),
        { id: 'broken', type: 'claude-code', label: 'Broken agent', command: join(home.path, 'no-such-agent') },
      ],
    }));
    const project = services.projects.list()[0] ?? (await services.projects.register({ path: repo })).project;
    const { workspace } = await services.workspaces.create({
      project: project.id,
      branch: 'feature/broken',
      waitForSetup: true,
    });
    const chat = services.chats.create({ workspaceId: workspace.id, agent: 'broken' });
    const { context, page } = await signedInPage(browser, server, PHONE);
    await page.goto(`${server.url}/w/${workspace.id}`);
    await waitForLive(page);
    await page.setInputFiles('[data-testid="chat-attach-input"]', {
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('read me\n'),
    });
    await page.waitForSelector('[data-testid="chat-attachment-chip"][data-uploaded="true"]', { timeout: 20_000 });
    await page.fill('[data-testid="chat-input"]', 'Do something');
    await page.tap('[data-testid="chat-send"]');
    const failed = page.locator('[data-testid="chat-turn"][data-turn-status="failed"]');
    await failed.waitFor({ timeout: 30_000 });
    expect(await failed.locator('[data-testid="chat-error"]').count(), 'the error once').toBe(1);
    expect(await failed.locator('[data-testid="chat-result"]').count(), 'no second "failed" line').toBe(0);
    expect(await failed.locator('[data-testid="chat-settings-link"]').getAttribute('href')).toBe('/settings');
    await failed.locator('[data-testid="chat-retry"]').tap();
    const messages = () =>
      services.chats.history({ chatId: chat.id }).events.filter((e: { type: string }) => e.type === 'user-message');
    await expect.poll(() => messages().length, { timeout: 20_000 }).toBe(2);
    // The same message, with the same file: Retry does not drop what was attached.
    const [first, again] = messages().map(
      (e) => e.event as { text?: string; attachments?: Array<{ id: string; name: string }> },
    );
    expect(again!.text).toBe('Do something');
    expect(first!.attachments?.map((a) => a.name)).toEqual(['notes.txt']);
    expect(again!.attachments?.map((a) => a.id)).toEqual(first!.attachments?.map((a) => a.id));
    await context.close();
  }, 120_000);

  it('phone: a Terminal tab; the pane says the shell is starting until it prints, then runs a command', async () => {
    const { services } = server.api;
    const project = services.projects.list()[0] ?? (await services.projects.register({ path: repo })).project;
    const { workspace } = await services.workspaces.create({
      project: project.id,
      branch: 'feature/phone-terminal',
      waitForSetup: true,
    });
    const { context, page } = await signedInPage(browser, server, PHONE);
    await page.goto(`${server.url}/w/${workspace.id}`);
    await waitForLive(page);
    await page.tap('[data-testid="tab-terminal"]');
    expect(new URL(page.url()).searchParams.get('pane')).toBe('terminal');
    const pane = page.locator('[data-testid="terminal-pane"]');
    await pane.waitFor({ state: 'visible', timeout: 30_000 });
    await page.waitForSelector('[data-testid="terminal-pane"][data-state="open"]', { timeout: 30_000 });
    await page.tap('[data-testid="terminal"]');
    await page.keyboard.type('echo band-$((6*7))\n');
    await page.waitForSelector('[data-testid="terminal"] .xterm-rows:has-text("band-42")', { timeout: 15_000 });
    expect(await page.getAttribute('[data-testid="tab-terminal"]', 'aria-current')).toBe('page');
    await context.close();
  }, 120_000);

  it('/favicon.ico is the app icon, and Settings signs this browser out', async () => {
    const { context, page } = await signedInPage(browser, server, DESKTOP);
    const icon = await page.request.get(`${server.url}/favicon.ico`);
    expect(icon.status()).toBe(200);
    expect(icon.headers()['content-type']).toContain('image/svg+xml');
    await page.goto(`${server.url}/settings`);
    await waitForLive(page);
    expect(await page.textContent('[data-testid="settings-page"]')).not.toContain('Changes save as you make them');
    await page.click('[data-testid="sign-out"]');
    await page.waitForSelector('[data-testid="sign-in"]', { timeout: 20_000 });
    // Signed out for real: the API refuses this browser now.
    expect((await page.request.get(`${server.url}/api/trpc/health`)).status()).toBe(401);
    await context.close();
  }, 60_000);
});

describe('Settings on a phone through the tunnel', () => {
  const band = tunnelBandSuite('band-ui-polish-tunnel-');

  it('local-only settings are read-only with a note; what a phone may change still saves', async () => {
    await band.server.api.services.tunnel.start();
    const { url } = band.server.api.services.devices.createPairingCode('tunnel');
    const context = await band.browser.newContext({ ...PHONE, ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector('[data-testid="dashboard-shell"]', { timeout: 30_000 });
    await page.goto(`${new URL(page.url()).origin}/settings`);
    await page.waitForSelector('[data-testid="settings-remote-note"]', { timeout: 20_000 });
    expect(await page.getAttribute('[data-testid="setting-port"]', 'readonly')).not.toBeNull();
    expect(await page.isDisabled('[data-testid="setting-port-save"]')).toBe(true);
    expect(await page.isDisabled('[data-testid="setting-auto-start-tunnel"]')).toBe(true);
    expect(await page.locator('[data-testid="settings-local-only"]').count()).toBeGreaterThanOrEqual(2);
    // The sound setting is not local-only: it saves from the phone.
    const before = band.server.settings.get().notifications.soundOnNeedsAttention;
    await page.tap('[data-testid="setting-sound"]');
    await page.waitForSelector('[data-testid="settings-saved"]', { timeout: 20_000 });
    expect(band.server.settings.get().notifications.soundOnNeedsAttention).toBe(!before);
    expect(await page.locator('[data-testid="settings-error"]').count()).toBe(0);
    // The Mobile Access panel seen from the phone does not tell it to scan with "your phone's camera".
    await page.tap('[data-testid="tunnel-chip"]');
    await page.waitForSelector('[data-testid="pairing-instructions"]', { timeout: 20_000 });
    const instructions = await page.textContent('[data-testid="pairing-instructions"]');
    expect(instructions).toContain('another device');
    expect(instructions).not.toContain("your phone's camera");
    await context.close();
  }, 120_000);
});
