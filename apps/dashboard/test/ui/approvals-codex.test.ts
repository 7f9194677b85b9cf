// Issue 20 on the phone, with the real Codex CLI (`codex app-server`, scripted Responses API, default mode: it asks
// before patches and commands). The phone, signed in through the fake Cloudflare edge, sees a patch request as its
// files and coloured diff and approves it; then it denies a shell command with a message the model receives.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { claudeBandSuite, PHONE, screenshot, smallTouchTargets, waitForLive } from './harness.js';

const PATCH = [
  "apply_patch <<'EOF'",
  '*** Begin Patch',
  '*** Add File: approved.txt',
  '+ok',
  '*** Update File: README.md',
  '@@',
  ' # shop',
  '+',
  '+Approved from the phone.',
  '*** End Patch',
  'EOF',
  '',
].join('\n');

describe('Codex approvals on the phone', () => {
  const band = claudeBandSuite('band-ui-approvals-codex-', {
    agent: 'codex',
    repoName: 'shop',
    files: { 'README.md': '# shop\n' },
    script: [
      { content: [{ type: 'tool_use', name: 'exec_command', input: { cmd: PATCH } }] },
      { content: [{ type: 'text', text: 'Patched.' }] },
      { content: [{ type: 'tool_use', name: 'exec_command', input: { cmd: 'echo no > denied.txt' } }] },
      { content: [{ type: 'text', text: 'Understood, I left it.' }] },
    ],
  });
  let workspace: { id: string; path: string };

  beforeAll(async () => {
    const services = band.server.api.services;
    const { project } = await services.projects.register({ path: band.repo });
    workspace = (
      await services.workspaces.create({ project: project.id, branch: 'feature/codex-approvals', waitForSetup: true })
    ).workspace;
    // The default mode: Codex asks before patches and commands (it becomes the workspace's active chat).
    services.chats.create({ workspaceId: workspace.id, mode: 'default' });
  });

  const pendingCard = (page: Page) => page.locator('[data-testid="approval-card"][data-state="pending"]');

  it('approve a patch from the phone through the tunnel ' +
    '(files and diff shown); deny a command with a message', async () => {
    const { server, model, browser } = band;
    await server.api.services.tunnel.start();
    const phone = await browser.newContext({ ...PHONE, ignoreHTTPSErrors: true });
    const page = await phone.newPage();
    await page.goto(server.api.services.devices.createPairingCode('tunnel').url);
    await page.waitForSelector('[data-testid="sidebar"] [data-testid="workspace-link"]', { timeout: 30_000 });
    await waitForLive(page);
    await page.tap(`[data-testid="workspace-link"][data-workspace-id="${workspace.id}"]`);
    await page.waitForSelector('[data-testid="chat-empty"]');

    // --- the patch: its files and diff lines on the card; allowed, both files change ---
    await page.fill('[data-testid="chat-input"]', 'Write approved.txt and note it in the README');
    await page.tap('[data-testid="chat-send"]');
    await pendingCard(page).waitFor({ timeout: 90_000 });
    const shownAt = Date.now();
    const [pending] = server.api.services.chats.approvals();
    console.log(`Codex approval request → card on the phone: ${shownAt - Date.parse(pending!.requestedAt)} ms`);
    expect(pending).toMatchObject({ toolName: 'FileChange' });
    const card = pendingCard(page);
    // One entry per file (Codex's order is its own), named relative to the worktree.
    expect((await card.locator('[data-testid="approval-file"]').allTextContents()).sort()).toEqual([
      'README.md',
      'approved.txt (new file)',
    ]);
    const diffs = await card.locator('[data-testid="approval-diff"]').allTextContents();
    expect(diffs.join('\n')).toContain('ok');
    // The README's change is a unified diff; its added line is coloured as an addition.
    const added = card.locator('[data-testid="approval-diff"] span', { hasText: '+Approved from the phone.' });
    expect(await added.getAttribute('class')).toContain('text-ok');
    // A new file comes as its content, not as + lines: every line of it is an addition.
    const newFile = card.locator('[data-testid="approval-diff"] span', { hasText: /^ok$/ });
    expect(await newFile.getAttribute('class')).toContain('text-ok');
    expect(existsSync(join(workspace.path, 'approved.txt'))).toBe(false);
    expect(await smallTouchTargets(page)).toEqual([]);
    await screenshot(page, 'phone-approval-codex-patch');
    await card.locator('[data-testid="approval-allow"]').tap();
    await page.waitForSelector('[data-testid="approval-card"][data-state="allowed"]', { timeout: 90_000 });
    await page.waitForSelector('[data-testid="chat-text"]:has-text("Patched.")', { timeout: 90_000 });
    expect(readFileSync(join(workspace.path, 'approved.txt'), 'utf8')).toBe('ok\n');
    expect(readFileSync(join(workspace.path, 'README.md'), 'utf8')).toBe('# shop\n\nApproved from the phone.\n');

    // --- a shell command: denied from the phone with a message the model receives ---
    await page.fill('[data-testid="chat-input"]', 'Now write denied.txt');
    await page.tap('[data-testid="chat-send"]');
    await page.waitForSelector('[data-testid="approval-card"][data-state="pending"] >> text=echo no > denied.txt', {
      timeout: 90_000,
    });
    expect(server.api.services.chats.approvals()).toMatchObject([
      { toolName: 'Bash', input: { command: expect.stringContaining('echo no > denied.txt'), cwd: workspace.path } },
    ]);
    await page.tap('[data-testid="approval-card"][data-state="pending"] [data-testid="approval-deny"]');
    await page.fill('[data-testid="approval-deny-message"]', 'Leave denied.txt alone');
    await page.tap('[data-testid="approval-deny-send"]');
    await page.waitForSelector('[data-testid="chat-text"]:has-text("Understood, I left it.")', { timeout: 90_000 });
    expect(existsSync(join(workspace.path, 'denied.txt'))).toBe(false);
    expect(await page.locator('[data-testid="approval-card"][data-state="denied"]').textContent()).toContain(
      'Leave denied.txt alone',
    );
    expect(JSON.stringify(model.requests.filter((r) => r.scripted).at(-1)!.body.input)).toContain(
      'Leave denied.txt alone',
    );
    expect(server.api.services.chats.approvals()).toEqual([]);
    await phone.close();
  }, 300_000);
});
