// What a new user stumbles on (issue 22), the rest of the minor batch: "done, unread" apart from "needs your
// answer", this device marked in the devices list (and signing itself out only on purpose), agent commands checked
// on save and an Add agent flow, an agent/model/mode picker in the create-workspace form, the sign-in page in the
// dashboard's colour scheme, and a phone's Mobile Access panel without what only the computer can do.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fakeAgentEnv, fakeAgentPath } from '@band/agents/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BandServer, startServer } from '@band/server/start';
import { captureLogger } from '../helpers.js';
import { expectAccessible } from './axe.js';
import {
  DESKTOP,
  launchChromium,
  PHONE,
  screenshot,
  signedInPage,
  tempDir,
  tunnelBandSuite,
  waitForLive,
} from './harness.js';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@b',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@b',
};

async function makeRepo(path: string): Promise<string> {
  await mkdir(path, { recursive: true });
  await writeFile(join(path, 'README.md'), '# shop\n');
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: path, env: GIT_ENV });
  execFileSync('git', ['add', '-A'], { cwd: path, env: GIT_ENV });
  execFileSync('git', ['commit', '-q', '-m', 'init'], { cwd: path, env: GIT_ENV });
  return path;
}

/** No horizontal scrolling: everything fits the viewport's width. */
const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

/** Two workspaces: one whose turn finished (done, unread), one whose turn failed (needs you). */
async function doneAndFailed(server: BandServer, repo: string) {
  const { services } = server.api;
  const { project } = await services.projects.register({ path: repo });
  const done = (await services.workspaces.create({ project: project.id, branch: 'finished', waitForSetup: true }))
    .workspace;
  const failed = (await services.workspaces.create({ project: project.id, branch: 'broken', waitForSetup: true }))
    .workspace;
  services.chats.send({ workspaceId: done.id, message: 'say hi' });
  // An agent whose CLI is gone: its turn fails, and the user has to do something about it.
  const chat = services.chats.create({ workspaceId: failed.id, agent: 'gone' });
  services.chats.send({ chatId: chat.id, message: 'say hi' });
  await expect
    .poll(() => [services.chats.workspaceStatus(done.id), services.chats.workspaceStatus(failed.id)], {
      timeout: 60_000,
    })
    .toEqual(['done', 'needs-attention']);
  return { project, done, failed };
}

/** The workspace row's words for what its dot shows. */
const unread = (page: Page, workspaceId: string) =>
  page.locator(`[data-testid="workspace-link"][data-workspace-id="${workspaceId}"] [data-testid="workspace-unread"]`);

describe('new user, the rest of the minor batch', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let server: BandServer;
  let browser: Browser;
  let repo: string;

  beforeAll(async () => {
    home = await tempDir('band-ui-finish-');
    repo = await makeRepo(join(home.path, 'shop'));
    server = await startServer({
      home: join(home.path, 'band'),
      port: 0,
      logger: captureLogger(),
      env: { ...GIT_ENV, HOME: home.path, ...fakeAgentEnv({ scenario: 'ok' }) },
    });
    await server.settings.update((s) => ({
      ...s,
      codingAgents: [
        { id: 'fake', type: 'claude-code', label: 'Fake agent', command: fakeAgentPath() },
        { id: 'gone', type: 'claude-code', label: 'Uninstalled agent', command: join(home.path, 'nowhere', 'claude') },
      ],
      defaultCodingAgent: 'fake',
    }));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await home?.[Symbol.asyncDispose]();
  });

  it('a finished turn is "Done, unread", a failed one "Needs you" (not "your answer": there is no ' +
    'question), in the sidebar and the phone list; looking clears it', async () => {
    const { done, failed } = await doneAndFailed(server, repo);
    const { context, page } = await signedInPage(browser, server, DESKTOP);
    await waitForLive(page);
    await expect.poll(() => unread(page, done.id).getAttribute('data-unread'), { timeout: 20_000 }).toBe('done');
    expect(await unread(page, done.id).textContent()).toBe('Done, unread');
    expect(await unread(page, failed.id).textContent()).toBe('Needs you');
    expect(await page.getAttribute(`[data-workspace-id="${done.id}"] [role="img"]`, 'aria-label')).toBe('Done, unread');
    expect(await page.getAttribute(`[data-workspace-id="${failed.id}"] [role="img"]`, 'aria-label')).toBe('Needs you');
    // The title counts both: there is something to look at in each.
    await page.waitForFunction(() => document.title.startsWith('(2) '), undefined, { timeout: 20_000 });
    await screenshot(page, 'desktop-done-and-needs-answer');
    await expectAccessible(page, 'list with done and needs-you', false);

    const phone = await signedInPage(browser, server, PHONE);
    await waitForLive(phone.page);
    await expect.poll(() => unread(phone.page, done.id).textContent(), { timeout: 20_000 }).toBe('Done, unread');
    expect(await unread(phone.page, failed.id).textContent()).toBe('Needs you');
    await screenshot(phone.page, 'phone-done-and-needs-answer');
    await expectAccessible(phone.page, 'list with done and needs-you', true);

    // Reading the finished one clears it; the failed one still needs an answer.
    await page.click(`[data-testid="workspace-link"][data-workspace-id="${done.id}"]`);
    await page.waitForSelector('[data-testid="chat-input"]');
    await page.click('[data-testid="chat-input"]');
    await expect.poll(() => unread(page, done.id).count(), { timeout: 20_000 }).toBe(0);
    await expect.poll(() => unread(phone.page, done.id).count(), { timeout: 20_000 }).toBe(0);
    expect(await unread(page, failed.id).textContent()).toBe('Needs you');
    await page.waitForFunction(() => document.title.startsWith('(1) '), undefined, { timeout: 20_000 });
    await phone.context.close();
    await context.close();
  }, 180_000);

  it('Settings: an agent command that does not exist is ' +
    'refused by name; Add agent adds one whose command runs', async () => {
    for (const size of [DESKTOP, PHONE]) {
      const { context, page } = await signedInPage(browser, server, size);
      await page.goto(`${server.url}/settings`);
      await waitForLive(page);
      // Editing an agent's command to something that is not installed.
      const editor = page.locator('[data-testid="agent-editor"][data-agent-id="fake"]');
      await editor.locator('[data-testid="agent-command"]').fill('claude-that-is-not-installed');
      await editor.locator('[data-testid="agent-save"]').click();
      await expect
        .poll(() => editor.locator('[data-testid="agent-error"]').textContent(), { timeout: 20_000 })
        .toContain('Command not found: claude-that-is-not-installed (Fake agent)');
      expect(server.settings.get().codingAgents[0]!.command).toBe(fakeAgentPath());
      await page.reload();
      await waitForLive(page);

      // Add agent: type, label, command. A missing command is named; one that runs is saved.
      await page.click('[data-testid="agent-add"]');
      const form = page.locator('[data-testid="agent-add-form"]');
      expect(await form.getByLabel('Type').getAttribute('data-testid')).toBe('agent-add-type');
      await form.getByLabel('Type').selectOption('codex');
      await form.getByLabel('Label').fill(size === PHONE ? 'Phone-added' : 'Second agent');
      await form.getByLabel('Command').fill('/no/such/codex');
      await form.locator('[data-testid="agent-add-submit"]').click();
      await expect
        .poll(() => form.locator('[data-testid="agent-add-error"]').textContent(), { timeout: 20_000 })
        .toContain('Command not found: /no/such/codex');
      expect(await fitsWidth(page)).toBe(true);
      if (size === DESKTOP) await screenshot(page, 'desktop-settings-add-agent');
      await form.getByLabel('Command').fill(fakeAgentPath());
      await form.locator('[data-testid="agent-add-submit"]').click();
      await form.waitFor({ state: 'detached', timeout: 20_000 });
      const id = size === PHONE ? 'codex-2' : 'codex';
      await page.waitForSelector(`[data-testid="agent-editor"][data-agent-id="${id}"]`);
      expect(server.settings.get().codingAgents.find((a) => a.id === id)).toMatchObject({
        type: 'codex',
        command: fakeAgentPath(),
      });
      await context.close();
    }
  }, 180_000);

  it('the create-workspace form picks agent, model and mode, defaulting to Settings', async () => {
    const { services } = server.api;
    for (const [size, branch, prompt] of [
      [DESKTOP, 'picked/with-prompt', 'plan a login page'],
      [PHONE, 'picked/no-prompt', ''],
    ] as const) {
      const { context, page } = await signedInPage(browser, server, size);
      await waitForLive(page);
      await page.locator('[data-testid="add-workspace"]').first().click();
      const form = page.locator('[data-testid="add-workspace-form"]');
      // The defaults come from Settings: the default agent, its model (the CLI's here), edit mode.
      expect(await form.getByLabel('Agent', { exact: true }).inputValue()).toBe('fake');
      expect(await form.getByLabel('Mode', { exact: true }).inputValue()).toBe('edit');
      expect(await form.getByLabel('Model', { exact: true }).getAttribute('placeholder')).toBe('CLI default');
      await form.getByLabel('Branch', { exact: true }).fill(branch);
      if (prompt) await form.getByLabel(/^First prompt/).fill(prompt);
      await form.getByLabel('Agent', { exact: true }).selectOption(size === PHONE ? 'codex' : 'fake');
      await form.getByLabel('Model', { exact: true }).fill('model-x');
      await form.getByLabel('Mode', { exact: true }).selectOption('plan');
      expect(await fitsWidth(page)).toBe(true);
      if (size === PHONE) await screenshot(page, 'phone-new-workspace-agent-picker');
      await form.locator('[data-testid="workspace-submit"]').click();
      await page.waitForURL(/\/w\//, { timeout: 30_000 });
      const workspace = services.workspaces.list().find((w) => w.branch === branch)!;
      await expect.poll(() => services.chats.list({ workspaceId: workspace.id }).length, { timeout: 30_000 }).toBe(1);
      expect(services.chats.list({ workspaceId: workspace.id })[0]).toMatchObject({
        agentId: size === PHONE ? 'codex' : 'fake',
        model: 'model-x',
        mode: 'plan',
      });
      await context.close();
    }
  }, 180_000);

  it('the sign-in page follows the system colour scheme like the dashboard after it', async () => {
    const background = (page: Page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const seen: Record<string, string[]> = {};
    for (const colorScheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ ...PHONE, colorScheme });
      const page = await context.newPage();
      await page.goto(server.url);
      await page.waitForSelector('[data-testid="sign-in"]');
      const signIn = await background(page);
      if (colorScheme === 'light') await screenshot(page, 'phone-sign-in-light');
      await page.goto(server.createSignInUrl());
      await page.waitForSelector('[data-testid="dashboard-shell"]');
      // The stylesheet may still be loading when the shell's markup is there.
      await page.waitForFunction(() => getComputedStyle(document.body).backgroundColor !== 'rgba(0, 0, 0, 0)');
      seen[colorScheme] = [signIn, await background(page)];
      await context.close();
    }
    expect(seen).toEqual({
      light: ['rgb(255, 255, 255)', 'rgb(255, 255, 255)'],
      dark: ['rgb(11, 13, 16)', 'rgb(11, 13, 16)'],
    });
  }, 120_000);
});

describe('a phone through the tunnel', () => {
  const band = tunnelBandSuite('band-ui-finish-tunnel-');

  it('Mobile Access on the phone: no Reveal token, no "your phone\'s ' +
    'camera", this device marked, Stop says it disconnects the phone', async () => {
    await band.server.api.services.tunnel.start();
    const { url } = band.server.api.services.devices.createPairingCode('tunnel');
    const context = await band.browser.newContext({ ...PHONE, ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector('[data-testid="dashboard-shell"]', { timeout: 30_000 });
    await waitForLive(page);
    await page.tap('[data-testid="tunnel-chip"]');
    const panel = page.locator('[data-testid="mobile-access-panel"]');
    await panel.locator('[data-testid="pairing-instructions"]').waitFor({ timeout: 20_000 });
    expect(await panel.locator('[data-testid="token-reveal"]').count()).toBe(0);
    expect(await panel.locator('[data-testid="token-local-only"]').textContent()).toContain(
      'only be revealed on the computer running Band',
    );
    expect(await panel.textContent()).not.toContain("your phone's camera");
    // The phone did not start the tunnel: the "this starts a public URL" sentence is not for it.
    expect(await panel.locator('[data-testid="tunnel-explainer"]').count()).toBe(0);
    expect(await panel.locator('[data-testid="tunnel-stop-remote-note"]').textContent()).toContain(
      'disconnects this device',
    );
    const mine = panel.locator('[data-testid="device-row"][data-current="true"]');
    await mine.waitFor({ timeout: 20_000 });
    expect(await mine.getAttribute('data-listener')).toBe('tunnel');
    expect(await mine.textContent()).toContain('This device');
    expect(await mine.locator('[data-testid="device-revoke"]').count()).toBe(0);
    expect(await fitsWidth(page)).toBe(true);
    await panel.locator('[data-testid="token-local-only"]').scrollIntoViewIfNeeded();
    await screenshot(page, 'phone-mobile-access-through-tunnel');
    await expectAccessible(page, 'Mobile Access through the tunnel', true);
    await context.close();
  }, 120_000);

  it('devices: this device is marked, cannot be revoked ' +
    'like the others, and signs out only after a confirm', async () => {
    const other = await signedInPage(band.browser, band.server, DESKTOP);
    const { context, page } = await signedInPage(band.browser, band.server, DESKTOP);
    await waitForLive(page);
    await page.click('[data-testid="menu-button"]');
    await page.click('[data-testid="menu-mobile-access"]');
    const list = page.locator('[data-testid="device-list"]');
    // The phone signed in through the tunnel (the test above) is listed as such, and can be revoked from here.
    await list
      .locator('[data-testid="device-row"][data-listener="tunnel"] [data-testid="device-revoke"]')
      .waitFor({ timeout: 20_000 });
    const mine = list.locator('[data-testid="device-row"][data-current="true"]');
    await mine.waitFor({ timeout: 20_000 });
    expect(await list.locator('[data-testid="device-current"]').count()).toBe(1);
    expect(await mine.textContent()).toContain('This device');
    expect(await mine.textContent()).toContain('on the computer running Band');
    expect(await mine.locator('[data-testid="device-revoke"]').count()).toBe(0);
    // Every other session can be revoked; none of them is "this device".
    const others = list.locator('[data-testid="device-row"]:not([data-current])');
    expect(await others.count()).toBeGreaterThanOrEqual(1);
    expect(await others.locator('[data-testid="device-revoke"]').count()).toBe(await others.count());
    expect(await others.locator('[data-testid="device-current"]').count()).toBe(0);
    await mine.scrollIntoViewIfNeeded();
    await screenshot(page, 'desktop-devices-this-device');
    await expectAccessible(page, 'devices with this device', false);
    const devicesBefore = band.server.gate.listDevices().length;

    // Sign out asks first; Cancel keeps the session.
    await mine.locator('[data-testid="device-sign-out"]').click();
    await mine.locator('[data-testid="device-sign-out-cancel"]').click();
    expect(await mine.locator('[data-testid="device-sign-out-confirm"]').count()).toBe(0);
    expect(band.server.gate.listDevices()).toHaveLength(devicesBefore);
    await mine.locator('[data-testid="device-sign-out"]').click();
    expect(await mine.locator('[data-testid="device-sign-out-confirm"]').textContent()).toContain(
      'Sign out this device?',
    );
    await mine.locator('[data-testid="device-sign-out-confirm-yes"]').click();
    await page.waitForSelector('[data-testid="sign-in"]', { timeout: 20_000 });
    expect((await page.request.get(`${band.server.url}/api/trpc/health`)).status()).toBe(401);
    expect(band.server.gate.listDevices()).toHaveLength(devicesBefore - 1);
    // The other browser is still signed in.
    await other.page.reload();
    await other.page.waitForSelector('[data-testid="dashboard-shell"]', { timeout: 20_000 });
    await other.context.close();
    await context.close();
  }, 120_000);
});
