// Page-level helpers for the Playwright tests: one real server, one real Chromium, desktop and phone contexts.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsQR from 'jsqr';
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, onTestFinished } from 'vitest';
import {
  claudeCodeOfflineEnv,
  codexOfflineEnv,
  findClaudeCodeBinary,
  findCodexBinary,
  type ModelScript,
  type ScriptedModel,
  startScriptedModel,
} from '@band/agents/testing';
// The process entry that `npm start`, `band start` and the desktop app run (one prebuilt file), not the library.
import { type BandServer, startServer } from '@band/server/start';
import { fakeCloudflaredEnv, fakeCloudflaredPath, type FakeEdge, startFakeEdge } from '@band/tunnel/testing';
import { CHROMIUM_ARGS, CHROMIUM_PATH, captureLogger } from '../helpers.js';

export const DESKTOP: BrowserContextOptions = { viewport: { width: 1440, height: 900 }, colorScheme: 'dark' };
export const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
  colorScheme: 'dark',
  userAgent:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 ' +
    '(KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36',
};

export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** A temporary directory, removed on dispose. */
export async function tempDir(prefix: string): Promise<{ path: string; [Symbol.asyncDispose](): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}

/** A git repository at `path` with these files in one commit on `main`. */
export async function gitRepo(path: string, files: Record<string, string>): Promise<string> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(path, name, '..'), { recursive: true });
    await writeFile(join(path, name), content);
  }
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'Band',
    GIT_AUTHOR_EMAIL: 'band@example.com',
    GIT_COMMITTER_NAME: 'Band',
    GIT_COMMITTER_EMAIL: 'band@example.com',
  };
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: path, env });
  execFileSync('git', ['add', '-A'], { cwd: path, env });
  execFileSync('git', ['commit', '-q', '-m', 'init'], { cwd: path, env });
  return path;
}

/** A Band server in `<dir>/band` with one project (`<dir>/repo`, a README) and one ready workspace on `branch`. */
export async function startWorkspaceServer(
  dir: string,
  branch: string,
): Promise<{ server: BandServer; workspace: { id: string; path: string } }> {
  const repo = await gitRepo(join(dir, 'repo'), { 'README.md': '# repo\n' });
  const server = await startServer({ home: join(dir, 'band'), port: 0, logger: captureLogger() });
  const { project } = await server.api.services.projects.register({ path: repo });
  const { workspace } = await server.api.services.workspaces.create({
    project: project.id,
    branch,
    waitForSetup: true,
  });
  return { server, workspace };
}

/** The real agent CLIs the UI tests run offline against a scripted model. */
export type RealAgent = 'claude-code' | 'codex';

const REAL_AGENTS: Record<
  RealAgent,
  {
    label: string;
    find: () => string | undefined;
    pkg: string;
    env: (home: string, model: ScriptedModel) => Record<string, string>;
  }
> = {
  'claude-code': {
    label: 'Claude Code',
    find: findClaudeCodeBinary,
    pkg: '@anthropic-ai/claude-code',
    env: (home, model) => claudeCodeOfflineEnv({ home, baseUrl: model.url }),
  },
  codex: {
    label: 'Codex',
    find: findCodexBinary,
    pkg: '@openai/codex',
    env: (home, model) => codexOfflineEnv({ home, baseUrl: model.url }),
  },
};

/**
 * A Band server in `<dir>/band` whose tunnel goes through a fake Cloudflare edge and whose one agent is the real
 * Claude Code CLI (or the real Codex CLI with `agent: 'codex'`), offline against `model`. The caller closes both.
 */
export async function startClaudeBand(
  dir: string,
  model: ScriptedModel,
  agent: RealAgent = 'claude-code',
): Promise<{ server: BandServer; edge: FakeEdge }> {
  const real = REAL_AGENTS[agent];
  const command = real.find();
  expect(command, `the real ${real.pkg} CLI is installed`).toBeTruthy();
  const edge = await startFakeEdge();
  const env = {
    ...process.env,
    ...edge.env,
    ...fakeCloudflaredEnv({ stateDir: dir }),
    BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
    ...real.env(join(dir, 'agent-home'), model),
  };
  const server = await startServer({ home: join(dir, 'band'), port: 0, logger: captureLogger(), env });
  await server.settings.update((s) => ({
    ...s,
    codingAgents: [{ id: agent, type: agent, label: real.label, command: command! }],
    defaultCodingAgent: agent,
  }));
  return { server, edge };
}

export interface ClaudeBandSuite {
  home: string;
  /** The git repository (`<home>/repos/<repoName>`), not yet registered. */
  repo: string;
  model: ScriptedModel;
  server: BandServer;
  edge: FakeEdge;
  browser: Browser;
}

export interface TunnelBandSuite {
  server: BandServer;
  edge: FakeEdge;
  browser: Browser;
}

/**
 * For a `describe` block: before its tests, a Band server whose tunnel goes through a fake Cloudflare edge (fake
 * cloudflared) and Chromium that reaches the edge; after them, all closed. Register it before the block's own hooks.
 */
export function tunnelBandSuite(prefix: string): TunnelBandSuite {
  const suite = {} as TunnelBandSuite;
  let home: Awaited<ReturnType<typeof tempDir>> | undefined;
  beforeAll(async () => {
    home = await tempDir(prefix);
    suite.edge = await startFakeEdge();
    const env = {
      ...process.env,
      ...suite.edge.env,
      ...fakeCloudflaredEnv({ stateDir: home.path }),
      BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
    };
    suite.server = await startServer({ home: home.path, port: 0, logger: captureLogger(), env });
    suite.browser = await launchChromium(suite.edge.chromiumArgs);
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.server?.close();
    await suite.edge?.close();
    await home?.[Symbol.asyncDispose]();
  });
  return suite;
}

/**
 * For a `describe` block: before its tests, a git repository, the scripted model, a Band server with the real Claude
 * Code (`startClaudeBand`; the real Codex with `agent: 'codex'`) and Chromium through the fake edge; after them, all
 * closed. The fields are set once the block's first `beforeAll` (this one) ran; register the suite before the block's
 * own hooks.
 */
export function claudeBandSuite(
  prefix: string,
  options: { repoName: string; files: Record<string, string>; script: ModelScript; agent?: RealAgent },
): ClaudeBandSuite {
  const suite = {} as ClaudeBandSuite;
  let home: Awaited<ReturnType<typeof tempDir>> | undefined;
  beforeAll(async () => {
    home = await tempDir(prefix);
    suite.home = home.path;
    suite.repo = await gitRepo(join(home.path, 'repos', options.repoName), options.files);
    suite.model = await startScriptedModel(options.script);
    Object.assign(suite, await startClaudeBand(home.path, suite.model, options.agent));
    suite.browser = await launchChromium(suite.edge.chromiumArgs);
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.server?.close();
    await suite.model?.close();
    await suite.edge?.close();
    await home?.[Symbol.asyncDispose]();
  });
  return suite;
}

/** A context signed in through the one-time sign-in link, the way `band open` does it. */
export async function signedInPage(
  browser: Browser,
  server: BandServer,
  options: BrowserContextOptions,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(server.createSignInUrl());
  await page.waitForSelector('[data-testid="dashboard-shell"]');
  return { context, page };
}

/** Waits until the live-update socket is connected (the indicator says so). */
export async function waitForLive(page: Page): Promise<void> {
  await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', { timeout: 20_000 });
}

/**
 * Decodes the QR code on the page the way a phone camera would: the rendered SVG is rasterised in the page,
 * its pixels are read back and jsQR decodes them. Nothing is read from the DOM's attributes.
 */
export async function readQrCode(page: Page): Promise<string> {
  const svg = page.locator('[data-testid="pairing-qr"] svg');
  await svg.waitFor();
  const { width, height, data } = await svg.evaluate(async (el) => {
    const markup = new XMLSerializer().serializeToString(el);
    const img = new Image();
    img.src = `data:image/svg+xml;base64,${btoa(markup)}`;
    await img.decode();
    const size = 512;
    const canvas = document.createElement('canvas');
    canvas.width = size;
    canvas.height = size;
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, size, size);
    ctx.drawImage(img, 0, 0, size, size);
    const pixels = ctx.getImageData(0, 0, size, size);
    return { width: size, height: size, data: Array.from(pixels.data) };
  });
  const code = jsQR(Uint8ClampedArray.from(data), width, height);
  expect(code, 'the QR code decodes').not.toBeNull();
  return code!.data;
}

const SCREENSHOT_DIR = fileURLToPath(new URL('../../../../docs/screenshots/', import.meta.url));

/**
 * Saves a screenshot. With BAND_UPDATE_SCREENSHOTS=1 it goes to docs/screenshots/ (committed and shown in the
 * README); otherwise into a temp folder removed after the test, so a plain run changes no tracked file and
 * leaves nothing behind (the screenshot is still taken: the code path is tested either way).
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  let dir = SCREENSHOT_DIR;
  if (process.env.BAND_UPDATE_SCREENSHOTS !== '1') {
    const temp = await mkdtemp(join(tmpdir(), 'band-screenshot-'));
    onTestFinished(() => rm(temp, { recursive: true, force: true }));
    dir = temp;
  }
  await mkdir(dir, { recursive: true });
  // Let the pulse animation and fonts settle into a stable frame.
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: join(dir, `dashboard-${name}.png`), animations: 'disabled' });
}

/** Every visible interactive control is at least 44x44 CSS px (phone touch targets). */
export async function smallTouchTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const small: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>(
      'button, a[href], select, input, textarea, summary, [role="tab"]',
    )) {
      const rect = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (rect.width === 0 || rect.height === 0 || style.visibility === 'hidden') continue;
      if (el.closest('[aria-hidden="true"]') || el.tabIndex < 0) continue;
      if (rect.height < 43.5 || rect.width < 43.5) {
        const name = el.dataset.testid ?? el.getAttribute('aria-label') ?? el.textContent?.trim().slice(0, 20);
        small.push(`${el.tagName.toLowerCase()}[${name}] ${Math.round(rect.width)}x${Math.round(rect.height)}`);
      }
    }
    return small;
  });
}
