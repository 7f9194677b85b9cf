// Issue 19 on the phone: attach a screenshot from the chat box (through the tunnel), send it, and the real Claude
// Code (scripted model) receives it as an image block with the same bytes; the message shows the attachment.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { claudeBandSuite, PHONE, screenshot, smallTouchTargets, waitForLive } from './harness.js';

// A 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

describe('attachments from the phone', () => {
  const band = claudeBandSuite('band-ui-attachments-', {
    repoName: 'shop',
    files: { 'README.md': '# shop\n' },
    script: [{ content: [{ type: 'text', text: 'A tiny screenshot: one pixel.' }] }],
  });
  let workspace: { id: string; path: string };
  beforeAll(async () => {
    const services = band.server.api.services;
    const { project } = await services.projects.register({ path: band.repo });
    workspace = (
      await services.workspaces.create({ project: project.id, branch: 'feature/attach', waitForSetup: true })
    ).workspace;
  });

  it('attach a PNG, send it: the message shows it and Claude ' +
    'Code receives the same bytes; a fake image is refused', async () => {
    const { server, model, browser } = band;
    await server.api.services.tunnel.start();
    const phone = await browser.newContext({ ...PHONE, ignoreHTTPSErrors: true });
    const page = await phone.newPage();
    await page.goto(server.api.services.devices.createPairingCode('tunnel').url);
    await page.waitForSelector('[data-testid="sidebar"] [data-testid="workspace-link"]', { timeout: 30_000 });
    await waitForLive(page);
    await page.tap(`[data-testid="workspace-link"][data-workspace-id="${workspace.id}"]`);
    await page.waitForSelector('[data-testid="chat-empty"]');

    // An image that is not one: refused with the reason, no chip left behind.
    await page.setInputFiles('[data-testid="chat-attach-input"]', {
      name: 'cat.png',
      mimeType: 'image/png',
      buffer: Buffer.from('not really a png'),
    });
    const refusal = await page.waitForSelector('[data-testid="chat-attach-error"]', { timeout: 20_000 });
    expect(await refusal.textContent()).toContain(
      'cat.png says it is image/png but its content is not a PNG, JPEG, GIF or WebP image',
    );
    expect(await page.locator('[data-testid="chat-attachment-chip"]').count()).toBe(0);

    // The real one: a chip with its size, uploaded at once.
    await page.setInputFiles('[data-testid="chat-attach-input"]', {
      name: 'screen.png',
      mimeType: 'image/png',
      buffer: PNG,
    });
    await page.waitForSelector('[data-testid="chat-attachment-chip"][data-uploaded="true"]', { timeout: 20_000 });
    expect(await page.textContent('[data-testid="chat-attachment-chip"]')).toContain('screen.png');
    expect(await page.locator('[data-testid="chat-attach-error"]').count()).toBe(0);
    expect(await page.getAttribute('[data-testid="chat-attach"]', 'aria-label')).toBe('Attach files');
    expect(await page.getAttribute('[data-testid="chat-attach-input"]', 'multiple')).not.toBeNull();
    expect(await smallTouchTargets(page)).toEqual([]);
    await screenshot(page, 'phone-attachment-picked');

    await page.fill('[data-testid="chat-input"]', 'What is in this screenshot?');
    await page.tap('[data-testid="chat-send"]');
    await page.waitForSelector('[data-testid="chat-text"]:has-text("A tiny screenshot: one pixel.")', {
      timeout: 90_000,
    });
    const shown = page.locator('[data-testid="chat-message-attachment"]');
    expect(await shown.count()).toBe(1);
    expect(await shown.textContent()).toContain('screen.png');
    expect(await shown.textContent()).toContain(`${PNG.length} B`);
    expect(await page.locator('[data-testid="chat-attachment-chip"]').count()).toBe(0); // the composer is clear again
    await screenshot(page, 'phone-attachment-sent');

    // The agent got the image: the scripted model's request carries an image block with exactly these bytes.
    const request = model.requests.find((r) => r.scripted)!;
    const user = (request.body.messages as Array<{ role: string; content: unknown }>).find((m) => m.role === 'user')!;
    const image = (user.content as Array<Record<string, any>>).find((c) => c.type === 'image');
    expect(image?.source.media_type).toBe('image/png');
    expect(Buffer.from(image!.source.data, 'base64').equals(PNG)).toBe(true);

    // Stored privately under BAND_HOME/uploads/<workspace>/.
    const dir = join(server.home, 'uploads', workspace.id);
    const [stored] = readdirSync(dir);
    expect(stored).toMatch(/-screen\.png$/);
    expect(lstatSync(join(dir, stored!)).mode & 0o777).toBe(0o600);
    expect(lstatSync(dir).mode & 0o777).toBe(0o700);

    // History shows it after a reload too (it is in the chat's log).
    await page.reload();
    await page.waitForSelector('[data-testid="chat-message-attachment"]:has-text("screen.png")', { timeout: 20_000 });
    await phone.close();
  }, 180_000);
});
