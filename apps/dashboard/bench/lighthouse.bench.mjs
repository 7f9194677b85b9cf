// Lighthouse 12 (mobile: simulated slow 4G, 4x CPU slowdown, a phone's viewport) against the Debian Chromium, on
// the two phone routes a user opens first: the workspace list (/) and a workspace's Chat pane (/w/<id>, with a
// finished turn in it). Signed in with a session cookie, as a phone is. Median of 3 runs per route
// (BAND_BENCH_QUICK=1: one run). A benchmark, not a test: the figures are reported, nothing is asserted.
//
// Read the figures with the host's benchmarkIndex, which is reported too: the simulation slows this machine's CPU
// 4x, so a faster host gives better figures for the same build. And Lighthouse simulates from a real load of
// loopback with no throttling, where the scripts arrive at once: when they run before the first paint there, it
// counts them on the way to the LCP as well, which is why the LCP moves between runs of one build. The rows marked
// "applied throttling" load the pages again through a throttled network and CPU and time the load as it happens.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeAgentEnv, fakeAgentPath } from '@band/agents/testing';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';

const RUNS = process.env.BAND_BENCH_QUICK === '1' ? 1 : 3;
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/** The session cookie a sign-in with the token sets (`/?token=`, a navigation; the redirect is not followed). */
async function sessionCookie(server) {
  const response = await fetch(`${server.url}/?token=${server.settings.get().tokenSecret}`, {
    redirect: 'manual',
    headers: {
      accept: 'text/html',
      'sec-fetch-dest': 'document',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-site': 'none',
    },
  });
  const cookies = response.headers.getSetCookie().map((c) => c.split(';')[0]);
  if (cookies.length === 0)
    throw new Error(`lighthouse: signing in with the token set no cookie (HTTP ${response.status})`);
  return cookies.join('; ');
}

export default async function lighthouseBench() {
  const { startServer } = await import('@band/server');
  const root = await mkdtemp(join(tmpdir(), 'band-bench-lighthouse-'));
  const repo = join(root, 'repo');
  await mkdir(repo, { recursive: true });
  await writeFile(join(repo, 'README.md'), '# bench\n');
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
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  const server = await startServer({
    home: join(root, 'band'),
    port: 0,
    logger,
    env: { ...process.env, ...fakeAgentEnv({ scenario: 'ok' }) },
  });
  let chrome;
  let chromeTmp;
  try {
    await server.settings.update((s) => ({
      ...s,
      codingAgents: [{ id: 'fake', type: 'claude-code', label: 'Fake agent', command: fakeAgentPath() }],
      defaultCodingAgent: 'fake',
    }));
    const { project } = await server.api.services.projects.register({ path: repo });
    const { workspace } = await server.api.services.workspaces.create({
      project: project.id,
      branch: 'bench',
      waitForSetup: true,
    });
    // A chat with a finished turn, so the Chat pane has history to show: wait for the status to leave "working".
    const statuses = new AbortController();
    const ended = (async () => {
      let sawWorking = false;
      for await (const { workspaceId, status } of server.api.services.chats.subscribeStatuses(statuses.signal)) {
        if (workspaceId !== workspace.id) continue;
        if (status === 'working') sawWorking = true;
        else if (sawWorking) return;
      }
    })();
    server.api.services.chats.send({ workspaceId: workspace.id, message: 'Hello from the bench' });
    await ended;
    statuses.abort();
    const cookie = await sessionCookie(server);
    // Chromium's own temp files go in a folder of the bench's: chrome-launcher stops it with a signal, which leaves an
    // org.chromium.Chromium.* folder behind in the system temp folder otherwise. A short name of its own: Chromium
    // binds <TMPDIR>/.org.chromium.Chromium.XXXXXX/SingletonSocket, and a Unix socket path over 107 bytes makes it
    // exit before its DevTools port opens (in CI, TMPDIR is already two folders deep).
    chromeTmp = await mkdtemp(join(tmpdir(), 'lh-'));
    chrome = await chromeLauncher.launch({
      chromePath: '/usr/bin/chromium',
      chromeFlags: FLAGS,
      logLevel: 'silent',
      envVars: { ...process.env, TMPDIR: chromeTmp },
    });
    const rows = [];
    const benchmarkIndexes = [];
    // Lighthouse's default, simulated throttling (the figures the goals are in), then applied throttling: the
    // same page loaded through a real slow-4G network and a 4x slower CPU in Chromium, timed as it happens.
    for (const [method, prefix] of [
      ['simulate', 'lighthouse'],
      ['devtools', 'lighthouse (applied throttling)'],
    ]) {
      for (const [label, path] of [
        ['workspace list (/)', '/'],
        ['Chat pane (/w/<id>)', `/w/${workspace.id}`],
      ]) {
        const runs = [];
        for (let i = 0; i < RUNS; i++) {
          // Lighthouse now and then loses the trace on a busy machine (NO_NAVSTART): such a run is taken again, twice
          // at most.
          let lhr;
          for (let attempt = 1; ; attempt++) {
            lhr = (
              await lighthouse(`${server.url}${path}`, {
                port: chrome.port,
                output: 'json',
                logLevel: 'error',
                onlyCategories: ['performance'],
                throttlingMethod: method,
                extraHeaders: { Cookie: cookie },
              })
            ).lhr;
            if (!lhr.runtimeError) break;
            if (attempt === 3)
              throw new Error(`lighthouse ${path}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
          }
          if (new URL(lhr.finalDisplayedUrl).pathname !== new URL(`${server.url}${path}`).pathname)
            throw new Error(`lighthouse ${path}: ended on ${lhr.finalDisplayedUrl}`);
          runs.push({
            score: Math.round(lhr.categories.performance.score * 100),
            lcp: lhr.audits['largest-contentful-paint'].numericValue,
            tbt: lhr.audits['total-blocking-time'].numericValue,
            tti: lhr.audits.interactive.numericValue,
            benchmarkIndex: lhr.environment.benchmarkIndex,
          });
        }
        const note = `mobile, median of ${RUNS}`;
        const at = (key) => Math.round(median(runs.map((r) => r[key])));
        rows.push(
          { name: `${prefix}: ${label} Performance`, value: at('score'), unit: '/100', note },
          { name: `${prefix}: ${label} LCP`, value: at('lcp'), unit: 'ms', note },
          { name: `${prefix}: ${label} TBT`, value: at('tbt'), unit: 'ms', note },
          { name: `${prefix}: ${label} TTI`, value: at('tti'), unit: 'ms', note },
        );
        benchmarkIndexes.push(...runs.map((r) => r.benchmarkIndex));
      }
    }
    rows.push({
      name: 'lighthouse: host benchmarkIndex',
      value: Math.round(median(benchmarkIndexes)),
      unit: 'index',
      note: 'the CPU the 4x slowdown applies to: higher is faster; figures from hosts far apart do not compare',
    });
    return rows;
  } finally {
    await chrome?.kill();
    await server.close();
    await rm(root, { recursive: true, force: true });
    if (chromeTmp) await rm(chromeTmp, { recursive: true, force: true });
  }
}
