// The phone's on-screen keyboard does not cover the message box (issue 19, "Smooth"). On iOS the keyboard shrinks
// only the visual viewport; Chromium here has no on-screen keyboard, so the page gets a `visualViewport` that this
// test controls, and the keyboard "opens" by shrinking it as iOS does.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BandServer } from '@band/server';
import { launchChromium, PHONE, signedInPage, startWorkspaceServer, tempDir, waitForLive } from './harness.js';

// Runs in the page before any of its scripts: a visual viewport the test can shrink, like iOS's keyboard does.
function installFakeVisualViewport() {
  const viewport = Object.assign(new EventTarget(), {
    width: window.innerWidth,
    height: window.innerHeight,
    offsetTop: 0,
    offsetLeft: 0,
    pageTop: 0,
    pageLeft: 0,
    scale: 1,
  });
  Object.defineProperty(window, 'visualViewport', { configurable: true, get: () => viewport });
  (window as unknown as { setKeyboard(px: number): void }).setKeyboard = (px: number) => {
    viewport.height = window.innerHeight - px;
    viewport.dispatchEvent(new Event('resize'));
  };
  (window as unknown as { setZoom(scale: number): void }).setZoom = (scale: number) => {
    viewport.scale = scale;
    viewport.height = window.innerHeight / scale;
    viewport.dispatchEvent(new Event('resize'));
  };
}

describe('the phone keyboard', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let server: BandServer;
  let browser: Browser;
  let workspaceId: string;

  beforeAll(async () => {
    home = await tempDir('band-ui-keyboard-');
    let workspace: { id: string; path: string };
    ({ server, workspace } = await startWorkspaceServer(home.path, 'feature/keyboard'));
    workspaceId = workspace.id;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await home?.[Symbol.asyncDispose]();
  });

  const bottomOf = async (page: Page, testId: string) => {
    const box = await page.locator(`[data-testid="${testId}"]`).boundingBox();
    if (!box) throw new Error(`${testId} is not on screen`);
    return box.y + box.height;
  };
  const setKeyboard = (page: Page, px: number) =>
    page.evaluate((height) => (window as unknown as { setKeyboard(px: number): void }).setKeyboard(height), px);

  it('opening the keyboard moves the message box and Send above it; closing it puts them back', async () => {
    const { context, page } = await signedInPage(browser, server, PHONE);
    await context.addInitScript(installFakeVisualViewport);
    await page.goto(`${server.url}/w/${workspaceId}`);
    await waitForLive(page);
    await page.locator('[data-testid="chat-input"]').waitFor({ state: 'visible' });
    const fullHeight = PHONE.viewport!.height;
    expect(await bottomOf(page, 'chat-input')).toBeGreaterThan(fullHeight - 150); // at the bottom of the screen

    // A 336 px keyboard (an iPhone's, portrait): what stays visible is the top 508 px.
    await page.tap('[data-testid="chat-input"]');
    await setKeyboard(page, 336);
    const visible = fullHeight - 336;
    await expect.poll(() => bottomOf(page, 'chat-input')).toBeLessThanOrEqual(visible);
    expect(await bottomOf(page, 'chat-send')).toBeLessThanOrEqual(visible);
    // Typing still works, and the header is still on screen.
    await page.keyboard.type('above the keyboard');
    expect(await page.inputValue('[data-testid="chat-input"]')).toBe('above the keyboard');

    await setKeyboard(page, 0);
    await expect.poll(() => bottomOf(page, 'chat-input')).toBeGreaterThan(fullHeight - 150);

    // A pinch zoom also shrinks the visual viewport, but the page keeps its size (the user pans over it).
    await page.evaluate(() => (window as unknown as { setZoom(scale: number): void }).setZoom(2));
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    expect(await bottomOf(page, 'chat-input')).toBeGreaterThan(fullHeight - 150);
    await context.close();
  }, 90_000);

  it('leaves a branch, a path, a command or a model as typed: no capital, autocorrect or spell check', async () => {
    const { context, page } = await signedInPage(browser, server, PHONE);
    // What the keyboard is told, per field; a phone that capitalises `claude` or corrects `fix/login` breaks it.
    const keyboardOf = (testId: string) =>
      page
        .locator(`[data-testid="${testId}"]`)
        .first()
        .evaluate((input) => ({
          autocapitalize: input.getAttribute('autocapitalize'),
          autocorrect: input.getAttribute('autocorrect'),
          spellcheck: input.getAttribute('spellcheck'),
        }));
    const asTyped = { autocapitalize: 'off', autocorrect: 'off', spellcheck: 'false' };
    await page.goto(`${server.url}/`);
    await waitForLive(page);
    await page.tap('[data-testid="add-project"]');
    expect(await keyboardOf('project-path')).toEqual(asTyped);
    await page.goto(`${server.url}/`);
    await page.locator('[data-testid="add-workspace"]').first().tap();
    for (const field of ['workspace-branch', 'workspace-base', 'workspace-model'])
      expect(await keyboardOf(field), field).toEqual(asTyped);
    await page.goto(`${server.url}/settings`);
    await page.locator('[data-testid="agent-command"]').first().waitFor();
    for (const field of ['agent-command', 'agent-model']) expect(await keyboardOf(field), field).toEqual(asTyped);
    await page.tap('[data-testid="agent-add"]');
    expect(await keyboardOf('agent-add-command')).toEqual(asTyped);
    // A message to the agent is prose: the keyboard helps as usual there.
    await page.goto(`${server.url}/w/${workspaceId}`);
    expect(await keyboardOf('chat-input')).toEqual({ autocapitalize: null, autocorrect: null, spellcheck: null });
    await context.close();
  }, 90_000);
});
