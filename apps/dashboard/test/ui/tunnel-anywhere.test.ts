// The Mobile Access panel opens with the URL and QR code as soon as the tunnel is ready, whoever started it (issue 13):
// here the API mutation that `band tunnel start` sends, with the dashboard already open in two windows. With a named
// tunnel, the Settings page and the panel show the mode, the stable URL and the origin to enter in Cloudflare, and a
// phone signs in at https://band.example.test through the fake edge's remote-managed ingress, sends a message and
// watches the reply stream. The named tunnel is set up with the real `band tunnel setup` CLI.
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fakeAgentEnv, fakeAgentPath } from '@band/agents/testing';
import { type BandServer, startServer } from '@band/server/start';
import {
  fakeCloudflaredEnv,
  fakeCloudflaredPath,
  type FakeEdge,
  fakeTunnelCredentials,
  fakeTunnelToken,
  startFakeEdge,
} from '@band/tunnel/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogger } from '../helpers.js';
import { DESKTOP, launchChromium, PHONE, readQrCode, signedInPage, tempDir, waitForLive } from './harness.js';

const HOST = 'band.example.test';
/** The built `band` CLI (apps/cli): the setup runs as a user would run it. */
const BAND_BIN = fileURLToPath(new URL('../../../cli/bin/band.js', import.meta.url));
/** The fake agent streams "chunk 0 " … "chunk 19 ", one every 150 ms: long enough to see the reply arrive in parts. */
const CHUNKS = 20;

/** Runs `band <args>` against the test server (its home holds the token), like a terminal on the server's machine. */
function bandCli(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BAND_BIN, ...args],
      { env: env as NodeJS.ProcessEnv, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the panel appears wherever the tunnel was started', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let edge: FakeEdge;
  let server: BandServer;
  let browser: Browser;
  let originPort: number;
  let serverEnv: NodeJS.ProcessEnv;
  let workspaceId: string;

  /** What `band tunnel start` / `band tunnel stop` send: the tRPC mutation with the bearer token. */
  const mutate = async (path: 'tunnel.start' | 'tunnel.stop') => {
    const res = await fetch(`${server.url}/api/trpc/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.settings.get().tokenSecret}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    return json.result.data as { state: string; url: string | null };
  };

  /** `band tunnel setup --hostname band.example.test --token-file … --origin-port …`, run as the user would. */
  const switchToNamedTunnel = async () => {
    const tokenFile = join(home.path, 'tunnel-token');
    await writeFile(tokenFile, fakeTunnelToken(), { mode: 0o600 });
    const cliEnv: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('BAND_')) cliEnv[k] = v;
    const setup = await bandCli(
      ['tunnel', 'setup', '--hostname', HOST, '--token-file', tokenFile, '--origin-port', String(originPort)],
      {
        ...cliEnv,
        BAND_HOME: home.path,
        BAND_SERVER_URL: server.url,
        NO_COLOR: '1',
      },
    );
    expect(setup.code, setup.stderr).toBe(0);
    // It says what to enter in Cloudflare: the fake edge's "dashboard" ingress already says exactly that.
    expect(setup.stdout).toContain(`Hostname:  ${HOST}`);
    expect(setup.stdout).toContain(`Service:   HTTP  127.0.0.1:${originPort}`);
    expect(server.settings.get().tunnel).toMatchObject({ mode: 'named', hostname: HOST, tokenFile, originPort });
  };

  beforeAll(async () => {
    home = await tempDir('band-ui-tunnel-anywhere-');
    originPort = await freePort();
    edge = await startFakeEdge({ ingress: { [HOST]: `http://127.0.0.1:${originPort}` } });
    const caFile = join(home.path, 'edge.pem');
    await writeFile(caFile, edge.cert);
    const env = (serverEnv = {
      ...process.env,
      ...fakeAgentEnv({ scenario: 'slow', events: CHUNKS, delayMs: 150 }),
      ...edge.env,
      ...fakeCloudflaredEnv({ stateDir: home.path }),
      BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
      BAND_TUNNEL_CONNECT_TO: `127.0.0.1:${edge.port}`,
      NODE_EXTRA_CA_CERTS: caFile,
    });
    server = await startServer({ home: home.path, port: 0, logger: captureLogger(), env });
    // A project with a workspace, and the scripted agent answering in it.
    const repo = join(home.path, 'repos', 'webshop');
    await mkdir(repo, { recursive: true });
    await writeFile(join(repo, 'README.md'), '# webshop\n');
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
    await server.settings.update((s) => ({
      ...s,
      codingAgents: [{ id: 'fake', type: 'claude-code', label: 'Fake agent', command: fakeAgentPath() }],
      defaultCodingAgent: 'fake',
    }));
    const { project } = await server.api.services.projects.register({ path: repo });
    workspaceId = (
      await server.api.services.workspaces.create({ project: project.id, branch: 'from-the-phone', waitForSetup: true })
    ).workspace.id;
    browser = await launchChromium(edge.chromiumArgs);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await edge?.close();
    await home?.[Symbol.asyncDispose]();
  });

  it('a tunnel started outside the dashboard (band tunnel start) ' +
    'opens the panel with the URL and QR in every open window', async () => {
    const first = await signedInPage(browser, server, DESKTOP);
    const second = await signedInPage(browser, server, DESKTOP);
    for (const { page } of [first, second]) await waitForLive(page);
    expect(await first.page.isVisible('[data-testid="mobile-access-panel"]')).toBe(false);

    const started = await mutate('tunnel.start');
    expect(started.state).toBe('ready');
    for (const { page } of [first, second]) {
      await page.waitForSelector(
        '[data-testid="mobile-access-panel"] [data-testid="tunnel-state"][data-state="ready"]',
        { timeout: 30_000 },
      );
      expect((await page.textContent('[data-testid="tunnel-url"]'))!.trim()).toBe(started.url);
      expect(await readQrCode(page)).toMatch(new RegExp(`^${started.url!.replace(/\./g, '\\.')}/pair#c=`));
      expect(await page.getAttribute('[data-testid="tunnel-mode"]', 'data-mode')).toBe('quick');
    }
    // Closed by the user, it stays closed while the tunnel keeps running.
    await first.page.click('[data-testid="mobile-access-close"]');
    await first.page.waitForSelector('[data-testid="mobile-access-panel"]', { state: 'hidden' });
    await mutate('tunnel.stop');
    await second.page.waitForSelector('[data-testid="mobile-access-start"]', { timeout: 15_000 });
    expect(await first.page.isVisible('[data-testid="mobile-access-panel"]')).toBe(false);
    await first.context.close();
    await second.context.close();
  }, 240_000);

  it('named, set up with `band tunnel setup`: Settings shows the stable URL and the origin; ' +
    'the panel opens on start; a phone signs in at the stable URL, sends a message and ' +
    'sees it stream, stays signed in across a server and tunnel restart, and is out on Stop', async () => {
    await switchToNamedTunnel();

    const { context, page } = await signedInPage(browser, server, DESKTOP);
    await page.goto(`${server.url}/settings`);
    await page.waitForSelector('[data-testid="tunnel-mode"][data-mode="named"]', { timeout: 30_000 });
    expect(await page.textContent('[data-testid="tunnel-stable-url"]')).toBe(`https://${HOST}`);
    expect(await page.textContent('[data-testid="tunnel-origin"]')).toBe(`http://127.0.0.1:${originPort}`);
    await waitForLive(page);

    // Started from the menu this time.
    await page.click('[data-testid="menu-button"]');
    await page.click('[data-testid="menu-start-tunnel"]');
    await page.waitForSelector('[data-testid="mobile-access-panel"] [data-testid="tunnel-state"][data-state="ready"]', {
      timeout: 45_000,
    });
    expect(server.api.services.tunnel.status()).toMatchObject({
      state: 'ready',
      mode: 'named',
      url: `https://${HOST}`,
    });
    expect((await page.textContent('[data-testid="tunnel-url"]'))!.trim()).toBe(`https://${HOST}`);
    expect(await page.textContent('[data-testid="mobile-access-panel"] [data-testid="tunnel-origin"]')).toBe(
      `http://127.0.0.1:${originPort}`,
    );
    const qr = await readQrCode(page);
    expect(qr).toMatch(new RegExp(`^https://${HOST.replace(/\./g, '\\.')}/pair#c=`));

    // The phone scans it: through "Cloudflare" (the fake edge), its ingress, and Band's stable origin.
    const phone = await browser.newContext({ ...PHONE, ignoreHTTPSErrors: true });
    const phonePage = await phone.newPage();
    await phonePage.goto(qr);
    await phonePage.waitForSelector('[data-testid="dashboard-shell"]', { timeout: 30_000 });
    expect(new URL(phonePage.url()).host).toBe(HOST);
    await waitForLive(phonePage);
    const cookies = await phone.cookies(`https://${HOST}`);
    expect(cookies.find((c) => c.name === '__Host-band_sess')).toMatchObject({ secure: true, httpOnly: true });

    // A message from the phone, through the named tunnel: the reply streams in (text shows before the turn ends).
    await phonePage.tap(`[data-testid="workspace-link"][data-workspace-id="${workspaceId}"]`);
    await phonePage.waitForSelector('[data-testid="chat-input"]', { timeout: 30_000 });
    await phonePage.fill('[data-testid="chat-input"]', 'stream through the named tunnel');
    await phonePage.tap('[data-testid="chat-send"]');
    // Checked in the page on every frame, so a busy test runner cannot miss the moment: part of the reply, no result
    // yet.
    await phonePage.waitForFunction(
      () =>
        /chunk \d+/.test(document.querySelector('[data-testid="chat-text"]')?.textContent ?? '') &&
        !document.querySelector('[data-testid="chat-result"]'),
      undefined,
      { timeout: 60_000, polling: 'raf' },
    );
    await phonePage.waitForSelector('[data-testid="chat-result"]', { timeout: 60_000 });
    const streamed = (await phonePage.textContent('[data-testid="chat-text"]'))!.replace(/\s+/g, ' ').trim();
    expect(streamed).toBe(Array.from({ length: CHUNKS }, (_, i) => `chunk ${i}`).join(' '));
    expect(new URL(phonePage.url()).host).toBe(HOST);

    // Restart the server, then the tunnel: the same URL, and the phone is still signed in (its __Host- cookie is bound
    // to the stable hostname, and a shutdown is not a Stop).
    await context.close();
    await server.close();
    server = await startServer({ home: home.path, port: 0, logger: captureLogger(), env: serverEnv });
    expect(await mutate('tunnel.start')).toMatchObject({ state: 'ready', url: `https://${HOST}` });
    await phonePage.reload();
    await phonePage.waitForSelector('[data-testid="dashboard-shell"]', { timeout: 30_000 });
    expect(new URL(phonePage.url()).host).toBe(HOST);
    await waitForLive(phonePage);
    // Still signed in after the restart: the chat it sent is there.
    await phonePage.waitForSelector('[data-testid="chat-text"]:has-text("chunk 19")', { timeout: 30_000 });

    // Stop: the phone is out.
    await mutate('tunnel.stop');
    await phonePage.waitForSelector('[data-testid="connection-indicator"]:not([data-state="connected"])', {
      timeout: 15_000,
    });
    const after = await phone.request
      .get(`https://${HOST}/api/trpc/health`, { failOnStatusCode: false })
      .catch(() => null);
    expect(after === null || after.status() >= 400).toBe(true);
    await phone.close();
  }, 240_000);

  it("named, with the dashboard ingress pointing at Band's local address: " +
    'Start from the menu ends in a clear error, not a hang', async () => {
    await switchToNamedTunnel();
    edge.setIngress({ [HOST]: server.url });
    const { context, page } = await signedInPage(browser, server, DESKTOP);
    await waitForLive(page);
    await page.click('[data-testid="menu-button"]');
    await page.click('[data-testid="menu-start-tunnel"]');
    await page.waitForSelector('[data-testid="tunnel-state"][data-state="failed"]', { timeout: 45_000 });
    expect(await page.textContent('[data-testid="tunnel-error"]')).toContain("Band's local listener");
    expect(await page.textContent('[data-testid="tunnel-error-hint"]')).toContain(`http://127.0.0.1:${originPort}`);
    // The panel still says what Cloudflare's service must be, and offers to try again.
    expect(await page.textContent('[data-testid="mobile-access-panel"] [data-testid="tunnel-origin"]')).toBe(
      `http://127.0.0.1:${originPort}`,
    );
    expect(await page.isVisible('[data-testid="mobile-access-start"]')).toBe(true);
    expect(server.api.services.tunnel.status()).toMatchObject({
      state: 'failed',
      url: null,
      error: { code: 'HOSTNAME_NOT_ROUTED' },
    });
    await context.close();
  }, 240_000);

  it('named and locally managed (`band tunnel setup --credentials-file`): Settings and the panel give ' +
    'the DNS route command, not a service to enter, ' +
    'and the tunnel starts though the dashboard ingress is wrong', async () => {
    // Still wrong from the case above, or set here: a locally managed tunnel does not use Cloudflare's ingress.
    edge.setIngress({ [HOST]: server.url });
    const creds = fakeTunnelCredentials(home.path, { tunnelId: 'c0ffee00-1234-4abc-8def-0123456789ab' });
    const cliEnv: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('BAND_')) cliEnv[k] = v;
    const setup = await bandCli(
      ['tunnel', 'setup', '--hostname', HOST, '--credentials-file', creds.path, '--origin-port', String(originPort)],
      {
        ...cliEnv,
        BAND_HOME: home.path,
        BAND_SERVER_URL: server.url,
        NO_COLOR: '1',
      },
    );
    expect(setup.code, setup.stderr).toBe(0);
    const routeDns = `cloudflared tunnel route dns ${creds.tunnelId} ${HOST}`;
    expect(setup.stdout).toContain(routeDns);

    const { context, page } = await signedInPage(browser, server, DESKTOP);
    await page.goto(`${server.url}/settings`);
    await page.waitForSelector('[data-testid="tunnel-mode"][data-mode="named"] [data-testid="tunnel-route-dns"]', {
      timeout: 30_000,
    });
    expect(await page.textContent('[data-testid="tunnel-route-dns"]')).toBe(routeDns);
    expect(await page.isVisible('[data-testid="tunnel-origin"]')).toBe(false);
    await waitForLive(page);

    await page.click('[data-testid="menu-button"]');
    await page.click('[data-testid="menu-start-tunnel"]');
    await page.waitForSelector('[data-testid="mobile-access-panel"] [data-testid="tunnel-state"][data-state="ready"]', {
      timeout: 45_000,
    });
    expect(server.api.services.tunnel.status()).toMatchObject({
      state: 'ready',
      mode: 'named',
      management: 'local',
      tunnelId: creds.tunnelId,
      url: `https://${HOST}`,
    });
    expect(await page.textContent('[data-testid="mobile-access-panel"] [data-testid="tunnel-route-dns"]')).toBe(
      routeDns,
    );
    await mutate('tunnel.stop');
    await page.waitForSelector('[data-testid="mobile-access-start"]', { timeout: 15_000 });
    await context.close();
  }, 240_000);
});
