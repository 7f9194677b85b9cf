// Issue 20 on the phone: the real Claude Code (scripted model, default permission mode) asks before Bash; the
// phone, signed in through the fake Cloudflare edge, sees the approval card with the command and answers it.
// The desktop sees the same card update with the phone as the answerer. A question (AskUserQuestion) is answered
// from the phone with its options.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  claudeBandSuite,
  DESKTOP,
  PHONE,
  screenshot,
  signedInPage,
  smallTouchTargets,
  waitForLive,
} from './harness.js';

describe('approvals on the phone', () => {
  const band = claudeBandSuite('band-ui-approvals-', {
    repoName: 'shop',
    files: { 'README.md': '# shop\n' },
    script: [
      {
        content: [
          { type: 'text', text: 'I will write the file.' },
          {
            type: 'tool_use',
            name: 'Bash',
            input: { command: 'echo ok > approved.txt', description: 'Write approved.txt' },
          },
        ],
      },
      { content: [{ type: 'text', text: 'Written.' }] },
      {
        content: [
          {
            type: 'tool_use',
            name: 'Bash',
            input: { command: 'echo no > denied.txt', description: 'Write denied.txt' },
          },
        ],
      },
      { content: [{ type: 'text', text: 'Understood, I left it.' }] },
      {
        content: [
          {
            type: 'tool_use',
            name: 'AskUserQuestion',
            input: {
              questions: [
                {
                  question: 'Which license?',
                  header: 'License',
                  multiSelect: false,
                  options: [
                    { label: 'MIT', description: 'short and permissive' },
                    { label: 'Apache-2.0', description: 'with a patent grant' },
                  ],
                },
              ],
            },
          },
        ],
      },
      { content: [{ type: 'text', text: 'Apache-2.0 it is.' }] },
    ],
  });
  let workspace: { id: string; path: string };

  beforeAll(async () => {
    const services = band.server.api.services;
    const { project } = await services.projects.register({ path: band.repo });
    workspace = (
      await services.workspaces.create({ project: project.id, branch: 'feature/approvals', waitForSetup: true })
    ).workspace;
    // The default permission mode: Claude Code asks before Bash (it becomes the workspace's active chat).
    services.chats.create({ workspaceId: workspace.id, mode: 'default' });
  });

  const card = (page: Page, state: string) =>
    page.waitForSelector(`[data-testid="approval-card"][data-state="${state}"]`, { timeout: 90_000 });

  it('approve from the phone through the tunnel; deny with a message; the desktop sees who answered', async () => {
    const { server, model, browser } = band;
    await server.api.services.tunnel.start();
    const phone = await browser.newContext({ ...PHONE, ignoreHTTPSErrors: true });
    const phonePage = await phone.newPage();
    await phonePage.goto(server.api.services.devices.createPairingCode('tunnel').url);
    await phonePage.waitForSelector('[data-testid="sidebar"] [data-testid="workspace-link"]', { timeout: 30_000 });
    await waitForLive(phonePage);
    await phonePage.tap(`[data-testid="workspace-link"][data-workspace-id="${workspace.id}"]`);
    await phonePage.waitForSelector('[data-testid="chat-empty"]');
    const desktop = await signedInPage(browser, server, DESKTOP);
    await desktop.page.goto(`${server.url}/w/${workspace.id}`);
    await waitForLive(desktop.page);

    // --- approve ---
    await phonePage.fill('[data-testid="chat-input"]', 'Write approved.txt');
    await phonePage.tap('[data-testid="chat-send"]');
    await card(phonePage, 'pending');
    const shownAt = Date.now();
    const [pending] = server.api.services.chats.approvals();
    console.log(`approval request → card on the phone: ${shownAt - Date.parse(pending!.requestedAt)} ms`);
    expect(await phonePage.textContent('[data-testid="approval-command"]')).toContain('$ echo ok > approved.txt');
    expect(await phonePage.textContent('[data-testid="approval-card"]')).toContain('Write approved.txt');
    expect(await smallTouchTargets(phonePage)).toEqual([]);
    await card(desktop.page, 'pending');
    // A phone that reloads (or opens later) still sees what is pending: the card comes from the chat's log.
    await phonePage.reload();
    await card(phonePage, 'pending');
    await screenshot(phonePage, 'phone-approval');
    await phonePage.tap('[data-testid="approval-allow"]');
    await card(phonePage, 'allowed');
    await phonePage.waitForSelector('[data-testid="chat-text"]:has-text("Written.")', { timeout: 90_000 });
    expect(existsSync(join(workspace.path, 'approved.txt'))).toBe(true);
    // The desktop's card shows the phone as the answerer.
    await card(desktop.page, 'allowed');
    expect(await desktop.page.textContent('[data-testid="approval-by"]')).toBe('by Chrome on Android');
    // The Mobile Access devices list says which device answered.
    await desktop.page.click('[data-testid="tunnel-chip"]');
    const phoneRow = desktop.page.locator('[data-testid="device-row"][data-listener="tunnel"]');
    await phoneRow.locator('[data-testid="device-last-answer"]').waitFor({ timeout: 20_000 });
    expect(await phoneRow.locator('[data-testid="device-last-answer"]').textContent()).toMatch(/^Allowed Bash /);
    await desktop.page.keyboard.press('Escape');
    // A late answer from the desktop would lose: the server says so.
    expect(() =>
      server.api.services.chats.answerApproval({ requestId: pending!.requestId, answer: 'deny' }, { via: 'dashboard' }),
    ).toThrow(/already answered \(allowed by Chrome on Android/);

    // --- deny with a message ---
    await phonePage.fill('[data-testid="chat-input"]', 'Now write denied.txt');
    await phonePage.tap('[data-testid="chat-send"]');
    await phonePage.waitForSelector(
      '[data-testid="approval-card"][data-state="pending"] >> text=echo no > denied.txt',
      { timeout: 90_000 },
    );
    await phonePage.tap('[data-testid="approval-card"][data-state="pending"] [data-testid="approval-deny"]');
    await phonePage.fill('[data-testid="approval-deny-message"]', 'Leave denied.txt alone');
    expect(await smallTouchTargets(phonePage)).toEqual([]);
    await phonePage.tap('[data-testid="approval-deny-send"]');
    await phonePage.waitForSelector('[data-testid="chat-text"]:has-text("Understood, I left it.")', {
      timeout: 90_000,
    });
    expect(existsSync(join(workspace.path, 'denied.txt'))).toBe(false);
    const denied = phonePage.locator('[data-testid="approval-card"][data-state="denied"]');
    expect(await denied.textContent()).toContain('Leave denied.txt alone');
    expect(JSON.stringify(model.requests.filter((r) => r.scripted).at(-1)!.body.messages)).toContain(
      'Leave denied.txt alone',
    );

    // --- a question (AskUserQuestion): the options are 44 px choices; the answer reaches the model ---
    await phonePage.fill('[data-testid="chat-input"]', 'Add a license');
    await phonePage.tap('[data-testid="chat-send"]');
    const question = phonePage.locator('[data-testid="approval-card"][data-state="pending"]');
    await question.locator('[data-testid="approval-question"]').waitFor({ timeout: 90_000 });
    expect(await question.textContent()).toContain('Which license?');
    expect(await question.locator('[data-testid="approval-allow"]').isVisible()).toBe(false);
    expect(await phonePage.isDisabled('[data-testid="approval-send-answer"]')).toBe(true);
    await question.locator('[data-testid="approval-option"]', { hasText: 'Apache-2.0' }).tap();
    expect(await smallTouchTargets(phonePage)).toEqual([]);
    await screenshot(phonePage, 'phone-question');
    await phonePage.tap('[data-testid="approval-send-answer"]');
    await phonePage.waitForSelector('[data-testid="chat-text"]:has-text("Apache-2.0 it is.")', { timeout: 90_000 });
    expect(
      await phonePage
        .locator('[data-testid="approval-card"][data-state="allowed"] [data-testid="approval-answer"]')
        .last()
        .textContent(),
    ).toBe('Apache-2.0');
    expect(JSON.stringify(model.requests.filter((r) => r.scripted).at(-1)!.body.messages)).toContain(
      '\\"Which license?\\"=\\"Apache-2.0\\"',
    );
    await phone.close();
    await desktop.context.close();
  }, 300_000);
});
