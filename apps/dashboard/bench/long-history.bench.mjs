// Long histories (issue 18): a chat of 50,000 events, written straight into the server's SQLite, opened in Chromium
// on the phone layout (390x844): the time from navigation to the chat's last message on screen, and how much of it
// is in the DOM (the transcript is virtualised, history paged from SQLite). Then a 10,000-line diff in the Changes
// pane, every line shown, scrolled by a synthesized smooth-scroll gesture (6,000 px/s) under a Chromium trace: frames
// dropped, and main-thread tasks over 50 ms. A benchmark, not a test: the figures are reported, nothing is
// asserted. BAND_BENCH_QUICK=1: one opening each, without the warm-up, instead of the median of 3, and a shorter
// scroll.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeAgentEnv, fakeAgentPath } from '@band/agents/testing';
import { chromium } from 'playwright-core';
import { eventsPerTurn, promptOf, seedLongChat } from '../test/seed-long-chat.mjs';

const QUICK = process.env.BAND_BENCH_QUICK === '1';
const RUNS = QUICK ? 1 : 3;
const EVENTS = 50_000;
const DELTAS = 44;
const TURNS = EVENTS / eventsPerTurn(DELTAS);
const DIFF_LINES = 10_000;
// The UI tests' Chromium flags (test/helpers.ts) and phone (test/ui/harness.ts).
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
  colorScheme: 'dark',
  userAgent:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 ' +
    '(KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36',
};

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Chromium trace of `action`, as its list of events (CDP Tracing, streamed back as JSON). */
async function trace(page, action) {
  const cdp = await page.context().newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
  const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: {
      includedCategories: [
        'devtools.timeline',
        'disabled-by-default-devtools.timeline.frame',
        'cc',
        'benchmark',
        'toplevel',
      ],
    },
  });
  await action(cdp);
  await cdp.send('Tracing.end');
  await done;
  await cdp.detach();
  return events;
}

/** A smooth scroll of `distance` px over `selector` under a trace: frames, frames dropped, long main-thread tasks. */
async function scrollUnderTrace(page, selector, distance) {
  const box = await page.locator(selector).boundingBox();
  const view = page.viewportSize();
  // The middle of the part of the element on screen.
  const top = Math.max(0, box.y);
  const bottom = Math.min(view.height, box.y + box.height);
  const events = await trace(page, (cdp) =>
    cdp.send('Input.synthesizeScrollGesture', {
      x: Math.round(box.x + box.width / 2),
      y: Math.round((top + bottom) / 2),
      yDistance: -distance,
      speed: 6_000,
      // A wheel-driven smooth scroll: headless Chromium's synthesized touch drags do not scroll reliably.
      gestureSourceType: 'mouse',
      repeatCount: 0,
    }),
  );
  const scrolled = Math.round(await page.locator(selector).evaluate((el) => el.scrollTop));
  // Chromium's frame reporter: one PipelineReporter per frame, with its fate; long tasks on the renderer's main thread.
  const frames = events.filter(
    (e) =>
      e.name === 'PipelineReporter' &&
      e.ph === 'b' &&
      e.args?.frame_reporter &&
      e.args.frame_reporter.state !== 'STATE_NO_UPDATE_DESIRED',
  );
  const dropped = frames.filter((e) => e.args.frame_reporter.state === 'STATE_DROPPED').length;
  const mainThread = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain')?.tid;
  const longTasks = events.filter(
    (e) => e.name === 'RunTask' && e.ph === 'X' && e.tid === mainThread && e.dur > 50_000,
  ).length;
  return { frames: frames.length, dropped, longTasks, scrolled };
}

export default async function longHistoryBench() {
  const { startServer } = await import('@band/server');
  const root = await mkdtemp(join(tmpdir(), 'band-bench-long-history-'));
  const repo = join(root, 'repo');
  await mkdir(repo, { recursive: true });
  await writeFile(join(repo, 'README.md'), '# bench\n');
  await writeFile(join(repo, 'big.ts'), '// grows in the workspace\n');
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
  const home = join(root, 'band');
  const server = await startServer({ home, port: 0, logger, env: { ...gitEnv, ...fakeAgentEnv({ scenario: 'ok' }) } });
  let browser;
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
    const chat = server.api.services.chats.create({ workspaceId: workspace.id });
    const lastSeq = seedLongChat({ home, chatId: chat.id, turns: TURNS, deltas: DELTAS });
    if (lastSeq !== EVENTS) throw new Error(`long-history: seeded ${lastSeq} events, expected ${EVENTS}`);
    // The control: a chat of one turn, opened the same way, so the figure can be read against the page's own load.
    const { workspace: short } = await server.api.services.workspaces.create({
      project: project.id,
      branch: 'bench-short',
      waitForSetup: true,
    });
    seedLongChat({
      home,
      chatId: server.api.services.chats.create({ workspaceId: short.id }).id,
      turns: 1,
      deltas: DELTAS,
    });
    // The newest page the pane asks for first, read the way the router does (the service; no network).
    const reads = [];
    let pageBytes = 0;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const page = server.api.services.chats.history({
        chatId: chat.id,
        beforeSeq: Number.MAX_SAFE_INTEGER,
        limit: 500,
      });
      reads.push(performance.now() - t);
      pageBytes = JSON.stringify(page).length;
    }
    // The 10,000-line change, uncommitted in the worktree.
    await writeFile(
      join(workspace.path, 'big.ts'),
      Array.from({ length: DIFF_LINES }, (_, i) => `export const line${i} = ${i}; // changed\n`).join(''),
    );

    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    const context = await browser.newContext(PHONE);
    const signIn = await context.newPage();
    await signIn.goto(server.createSignInUrl());
    await signIn.waitForSelector('[data-testid="dashboard-shell"]');
    await signIn.close();

    // Opening the chat: navigation start → the last message inside the viewport (checked every frame).
    // The first opening is a warm-up (the route's scripts into the HTTP cache, the server's first render): a phone
    // that opens Band every day has them. The runs after it are measured, alternating the long chat and the control.
    const opens = { long: [], short: [] };
    let dom;
    for (let i = QUICK ? 0 : -1; i < RUNS; i++) {
      for (const [kind, id, last] of [
        ['long', workspace.id, promptOf(TURNS - 1)],
        ['short', short.id, promptOf(0)],
      ]) {
        const page = await context.newPage();
        await page.goto(`${server.url}/w/${id}`, { waitUntil: 'commit' });
        const handle = await page.waitForFunction(
          (text) => {
            const box = document.querySelector('[data-testid="chat-transcript"]')?.getBoundingClientRect();
            const prompt = [...document.querySelectorAll('[data-testid="chat-prompt"]')].at(-1);
            if (!box || prompt?.textContent !== text) return false;
            const r = prompt.getBoundingClientRect();
            return r.height > 0 && r.top >= box.top && r.bottom <= box.bottom ? performance.now() : false;
          },
          last,
          { polling: 'raf', timeout: 60_000 },
        );
        if (i >= 0) opens[kind].push(await handle.jsonValue());
        if (kind === 'long')
          dom = await page.evaluate(() => ({
            nodes: document.getElementsByTagName('*').length,
            turns: document.querySelectorAll('[data-testid="chat-turn"]').length,
          }));
        await page.close();
      }
    }

    // The diff: Changes pane, the file open, every line shown, then one long scroll under a trace.
    const page = await context.newPage();
    await page.goto(`${server.url}/w/${workspace.id}?pane=changes`);
    await page
      .locator('[data-testid="change-file"][data-path="big.ts"] [data-testid="change-file-toggle"]')
      .click({ timeout: 60_000 });
    await page.locator('[data-testid="diff"]').waitFor({ timeout: 60_000 });
    const showAll = page.locator('[data-testid="diff-show-all"]');
    if (await showAll.count()) await showAll.click();
    // Every line is shown once the table holds them all (data-rows), in the DOM or not.
    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-testid="diff"] table')?.dataset.rows) >= n,
      DIFF_LINES,
      { timeout: 60_000 },
    );
    const diffDom = await page.evaluate(() => ({
      nodes: document.getElementsByTagName('*').length,
      rows: document.querySelectorAll('[data-testid="diff"] tr').length,
      lines: Number(document.querySelector('[data-testid="diff"] table')?.dataset.rows),
    }));
    const distance = QUICK ? 15_000 : 120_000;
    const diff = await scrollUnderTrace(page, '[data-testid="changes-list"]', distance);
    await page.close();
    // The same gesture over a static page of the same length (10,000 lines of text, no script): what this machine
    // drops anyway, so the diff's figure can be read against it on a busy machine.
    const control = await context.newPage();
    const controlLines = Array.from(
      { length: DIFF_LINES },
      (_, i) => `<div>export const line${i} = ${i}; // changed</div>`,
    );
    await control.setContent(
      `<meta name="viewport" content="width=device-width, initial-scale=1"><body ` +
        `style="margin:0"><div id="s" style="height:100vh;overflow:auto;font:12.5px/20px monospace">` +
        `${controlLines.join('')}</div></body>`,
    );
    const still = await scrollUnderTrace(control, '#s', distance);
    await control.close();
    await context.close();

    return [
      {
        name: 'long chat: 50k events, open to last message',
        value: Math.round(median(opens.long)),
        unit: 'ms',
        note: `phone 390x844, navigation to the last message on screen, median of ${RUNS}`,
      },
      {
        name: 'short chat: 1 turn, open to last message',
        value: Math.round(median(opens.short)),
        unit: 'ms',
        note: 'the same, for a 50-event chat: the page load alone',
      },
      {
        name: 'long chat: newest history page read',
        value: Math.round(median(reads) * 10) / 10,
        unit: 'ms',
        note: `500 of 50,000 events (the pane's first page), ${Math.round(pageBytes / 1024)} KiB as JSON, median of 5`,
      },
      {
        name: 'long chat: DOM nodes after opening',
        value: dom.nodes,
        unit: 'nodes',
        note: `${dom.turns} of ${TURNS} turns in the DOM`,
      },
      {
        name: 'long diff: 10k lines, rows in the DOM',
        value: diffDom.rows,
        unit: 'rows',
        note: `all ${diffDom.lines} diff rows shown; ${diffDom.nodes} DOM nodes`,
      },
      {
        name: 'long diff: dropped frames while scrolling',
        value: diff.dropped,
        unit: 'frames',
        note: `of ${diff.frames} (Chromium trace, PipelineReporter), scroll of ${diff.scrolled} px`,
      },
      {
        name: 'long diff: long tasks (>50 ms) while scrolling',
        value: diff.longTasks,
        unit: 'tasks',
        note: 'renderer main thread',
      },
      {
        name: 'static page: dropped frames, same scroll',
        value: still.dropped,
        unit: 'frames',
        note: `of ${still.frames}, ${still.scrolled} px: the machine's baseline`,
      },
    ];
  } finally {
    await browser?.close();
    await server.close();
    await rm(root, { recursive: true, force: true });
  }
}
