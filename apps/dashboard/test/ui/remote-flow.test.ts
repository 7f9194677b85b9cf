// The whole remote flow of the product, end to end: desktop starts the tunnel, the phone scans the QR through
// the fake Cloudflare edge, lands signed in, picks a workspace, talks to the real Claude Code CLI (driven by a
// scripted model), watches the reply stream, reviews the new file in Changes, opens it in Files; Stop Tunnel
// then cuts the phone off.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  claudeBandSuite,
  DESKTOP,
  PHONE,
  readQrCode,
  screenshot,
  signedInPage,
  smallTouchTargets,
  waitForLive,
} from './harness.js';

const REPLY_INTRO = 'I will add a greeting file for the team.';
const REPLY_DONE = 'Done: hello.txt now greets everyone who opens the repository.';
const FILE_TEXT = 'Hello from Band!\nThis file was written by Claude Code.\n';

describe('remote flow through the tunnel', () => {
  // The Write target is only known once the workspace exists, so the script reads it lazily.
  let target = '';
  let step = 0;
  const band = claudeBandSuite('band-ui-remote-', {
    repoName: 'webshop',
    files: {
      'README.md': '# webshop\n',
      'src/cart.ts':
        'export function total(prices: number[]): number {\n  return prices.reduce((a, b) => a + b, 0);\n}\n',
    },
    script: () => {
      step += 1;
      if (step === 1)
        return {
          content: [
            { type: 'text', text: REPLY_INTRO },
            { type: 'tool_use', name: 'Write', input: { file_path: target, content: FILE_TEXT } },
          ],
        };
      // A pause before the last answer leaves the reply visibly streaming on the phone.
      return { content: [{ type: 'text', text: REPLY_DONE }], delayMs: 1_500 };
    },
  });
  let workspace: { id: string; path: string; branch: string };

  beforeAll(async () => {
    const services = band.server.api.services;
    const { project } = await services.projects.register({ path: band.repo });
    const created = await services.workspaces.create({
      project: project.id,
      branch: 'feature/greeting',
      waitForSetup: true,
    });
    await services.workspaces.create({ project: project.id, branch: 'fix/cart-rounding', waitForSetup: true });
    workspace = created.workspace;
    target = join(workspace.path, 'hello.txt');
  });

  it('scan, sign in, send, stream, review, open; Stop Tunnel cuts the phone off', async () => {
    const { server, browser } = band;
    // --- desktop: Start tunnel from the menu ---
    const desktop = await signedInPage(browser, server, DESKTOP);
    const page = desktop.page;
    await waitForLive(page);
    await page.click('[data-testid="menu-button"]');
    await page.click('[data-testid="menu-start-tunnel"]');
    await page.waitForSelector('[data-testid="tunnel-state"][data-state="ready"]', { timeout: 30_000 });
    const qr = await readQrCode(page);
    const publicUrl = (await page.textContent('[data-testid="tunnel-url"]'))!.trim();
    expect(qr.startsWith(`${publicUrl}/pair#c=`)).toBe(true);
    await page.click('[data-testid="mobile-access-close"]');

    // --- phone: scan, land signed in on the workspace list ---
    const phone = await browser.newContext({ ...PHONE, ignoreHTTPSErrors: true });
    const phonePage = await phone.newPage();
    await phonePage.goto(qr);
    await phonePage.waitForSelector('[data-testid="sidebar"] [data-testid="workspace-link"]', { timeout: 30_000 });
    await waitForLive(phonePage);
    expect(new URL(phonePage.url()).protocol).toBe('https:');

    // --- pick the workspace, send a message ---
    await phonePage.tap(`[data-testid="workspace-link"][data-workspace-id="${workspace.id}"]`);
    await phonePage.waitForSelector('[data-testid="chat-empty"]');
    expect(await phonePage.isVisible('[data-testid="mobile-tab-bar"]')).toBe(true);
    expect(await phonePage.isVisible('[data-testid="back-to-workspaces"]')).toBe(true);
    expect(await smallTouchTargets(phonePage)).toEqual([]);
    await phonePage.fill('[data-testid="chat-input"]', 'Add a hello.txt that greets the team');
    await phonePage.tap('[data-testid="chat-send"]');

    // --- the reply streams: the first text shows while the turn is still running ---
    await phonePage.waitForSelector(`[data-testid="chat-text"]:has-text("${REPLY_INTRO}")`, { timeout: 90_000 });
    expect(await phonePage.locator('[data-testid="chat-result"]').count()).toBe(0);
    await phonePage.waitForSelector('[data-testid="chat-tool"]');
    await phonePage.waitForSelector(`[data-testid="chat-text"]:has-text("${REPLY_DONE}")`, { timeout: 90_000 });
    await phonePage.waitForSelector('[data-testid="chat-result"][data-status="success"]', { timeout: 30_000 });
    expect(await phonePage.textContent('[data-testid="chat-prompt"]')).toContain('Add a hello.txt');
    // Tool calls are collapsed by default.
    expect(await phonePage.locator('[data-testid="chat-tool"]').first().getAttribute('open')).toBeNull();
    expect(await readFile(join(workspace.path, 'hello.txt'), 'utf8')).toBe(FILE_TEXT);
    // Each streamed event is shown once (no duplicates after the live/backfill handover).
    expect(await phonePage.locator(`[data-testid="chat-text"]:has-text("${REPLY_DONE}")`).count()).toBe(1);
    await screenshot(phonePage, 'phone-chat');

    // --- Changes: the new file, its diff ---
    await phonePage.tap('[data-testid="tab-changes"]');
    const change = phonePage.locator('[data-testid="change-file"][data-path="hello.txt"]');
    await change.waitFor({ timeout: 15_000 });
    expect(['A', 'U']).toContain(await change.getAttribute('data-status'));
    await change.locator('[data-testid="change-file-toggle"]').tap();
    await phonePage.waitForSelector('[data-testid="diff"] tr[data-kind="add"]');
    expect(await phonePage.textContent('[data-testid="diff"]')).toContain('Hello from Band!');
    await screenshot(phonePage, 'phone-changes');

    // --- Files: open it ---
    await phonePage.tap('[data-testid="tab-files"]');
    await phonePage.tap('[data-testid="tree-file"][data-path="hello.txt"]');
    await phonePage.waitForSelector('[data-testid="file-viewer"][data-path="hello.txt"] [data-testid="file-content"]');
    expect(await phonePage.textContent('[data-testid="file-content"]')).toContain(
      'This file was written by Claude Code.',
    );
    await screenshot(phonePage, 'phone-files');
    await phonePage.tap('[data-testid="back-to-workspaces"]');
    await phonePage.waitForSelector('[data-testid="sidebar"] [data-testid="workspace-link"]');

    // --- the desktop shows the same chat and the diff side by side ---
    await page.goto(`${server.url}/w/${workspace.id}`);
    await page.waitForSelector(`[data-testid="chat-text"]:has-text("${REPLY_DONE}")`);
    await page.click('[data-testid="change-file"][data-path="hello.txt"] [data-testid="change-file-toggle"]');
    await page.waitForSelector('[data-testid="diff"]');
    await screenshot(page, 'desktop-workspace');
    await page.click('[data-testid="changes-view-split"]');
    await page.waitForSelector('[data-testid="diff"][data-view="split"]');
    await page.click('[data-testid="pane-tab-files"]');
    await page.click('[data-testid="tree-file"][data-path="hello.txt"]');
    await page.waitForSelector('[data-testid="file-content"]');
    await screenshot(page, 'desktop-files');

    // --- Stop Tunnel: the phone loses access ---
    await page.click('[data-testid="tunnel-chip"]');
    await page.click('[data-testid="tunnel-stop"]');
    await page.waitForSelector('[data-testid="mobile-access-start"]', { timeout: 15_000 });
    await phonePage.waitForSelector('[data-testid="connection-indicator"]:not([data-state="connected"])', {
      timeout: 15_000,
    });
    const response = await phonePage.goto(publicUrl).catch(() => null);
    expect(response === null || response.status() >= 400).toBe(true);
    await phone.close();
    await desktop.context.close();
  }, 300_000);
});
