// Issue 19: every screen, on a phone and on a desktop, passes axe-core with the WCAG 2.x A/AA rules and the
// best-practice rules (any violation fails), has exactly one `main` landmark and one level-one heading, and on the
// phone every control is a 44 px touch target. Screens: workspace list, chat, changes, files, the menu, Mobile
// Access and settings (the service worker's offline page: installable.test.ts).
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fakeAgentEnv, fakeAgentPath } from '@band/agents/testing';
import { type BandServer, startServer } from '@band/server/start';
import { fakeCloudflaredEnv, fakeCloudflaredPath, type FakeEdge, startFakeEdge } from '@band/tunnel/testing';
import type { Browser, BrowserContextOptions } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { captureLogger } from '../helpers.js';
import { expectAccessible } from './axe.js';
import { DESKTOP, launchChromium, PHONE, signedInPage, tempDir, waitForLive } from './harness.js';

describe('accessibility of every screen', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let edge: FakeEdge;
  let server: BandServer;
  let browser: Browser;
  let workspaceId: string;

  beforeAll(async () => {
    home = await tempDir('band-ui-a11y-');
    edge = await startFakeEdge();
    const env = {
      ...process.env,
      ...edge.env,
      ...fakeAgentEnv({ scenario: 'ok', writeFile: 'notes.md' }),
      ...fakeCloudflaredEnv({ stateDir: home.path }),
      BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
    };
    server = await startServer({ home: home.path, port: 0, logger: captureLogger(), env });
    await server.settings.update((s) => ({
      ...s,
      codingAgents: [{ id: 'fake', type: 'claude-code', label: 'Fake agent', command: fakeAgentPath() }],
      defaultCodingAgent: 'fake',
    }));
    const repo = join(home.path, 'repos', 'webshop');
    await mkdir(join(repo, 'src'), { recursive: true });
    await writeFile(join(repo, 'README.md'), '# webshop\n');
    await writeFile(join(repo, 'src', 'app.ts'), 'export const name = "shop";\n');
    const gitEnv = {
      ...process.env,
      GIT_AUTHOR_NAME: 'b',
      GIT_AUTHOR_EMAIL: 'b@b',
      GIT_COMMITTER_NAME: 'b',
      GIT_COMMITTER_EMAIL: 'b@b',
    };
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo, env: gitEnv });
    execFileSync('git', ['add', '-A'], { cwd: repo, env: gitEnv });
    execFileSync('git', ['commit', '-q', '-m', 'init'], { cwd: repo, env: gitEnv });
    const { project } = await server.api.services.projects.register({ path: repo });
    const { workspace } = await server.api.services.workspaces.create({
      project: project.id,
      branch: 'a11y',
      waitForSetup: true,
    });
    workspaceId = workspace.id;
    // A finished turn (the agent wrote notes.md) and an edited file: the chat, Changes and Files have content.
    server.api.services.chats.send({ workspaceId, message: 'write the notes' });
    await writeFile(join(workspace.path, 'src', 'app.ts'), 'export const name = "shop v2";\n');
    browser = await launchChromium(edge.chromiumArgs);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await edge?.close();
    await home?.[Symbol.asyncDispose]();
  });

  const layouts: [string, BrowserContextOptions][] = [
    ['phone', PHONE],
    ['desktop', DESKTOP],
  ];
  for (const [layout, options] of layouts) {
    it(`${layout}: list, chat, changes, files, menu, Mobile Access and ` +
      `settings have no axe violation, one main and one h1`, async () => {
      const isPhone = layout === 'phone';
      // Each layout starts Mobile Access itself, whatever the other left behind.
      await server.api.services.tunnel.stop();
      const { context, page } = await signedInPage(browser, server, options);
      await waitForLive(page);

      await page.waitForSelector(`[data-testid="workspace-link"][data-workspace-id="${workspaceId}"]`);
      await expectAccessible(page, 'workspace list', isPhone);

      await page.goto(`${server.url}/w/${workspaceId}`);
      await page.waitForSelector('[data-testid="chat-result"]', { timeout: 60_000 });
      await expectAccessible(page, 'chat', isPhone);

      await page.goto(`${server.url}/w/${workspaceId}?pane=changes`);
      await page.waitForSelector('[data-testid="change-file"]', { timeout: 30_000 });
      await expectAccessible(page, 'changes', isPhone);

      await page.goto(`${server.url}/w/${workspaceId}?pane=files&file=src/app.ts`);
      await page.waitForSelector('[data-testid="file-content"]', { timeout: 30_000 });
      await expectAccessible(page, 'files', isPhone);

      await page.goto(`${server.url}/`);
      await waitForLive(page);
      await page.click('[data-testid="menu-button"]');
      await page.waitForSelector('[data-testid="menu-start-tunnel"]');
      await expectAccessible(page, 'menu', isPhone);
      await page.click('[data-testid="menu-start-tunnel"]');
      await page.waitForSelector(
        '[data-testid="mobile-access-panel"] [data-testid="tunnel-state"][data-state="ready"]',
        { timeout: 45_000 },
      );
      await page.waitForSelector('[data-testid="pairing-qr"] svg');
      await expectAccessible(page, 'Mobile Access', isPhone);
      await server.api.services.tunnel.stop();
      await page.waitForSelector('[data-testid="mobile-access-start"]', { timeout: 15_000 });

      await page.goto(`${server.url}/settings`);
      await page.waitForSelector('[data-testid="setting-sound"]', { timeout: 30_000 });
      await expectAccessible(page, 'settings', isPhone);
      await context.close();
    }, 300_000);
  }
});
