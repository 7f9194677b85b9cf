// One library, one job, in a fresh process (untun and `cloudflared` read their env at import time).
// Usage: node runner.mjs <band|untun|cloudflared> <timing|scenario|until|orphan> [iterations|budgetMs]
//   until: start, and stop as soon as the library says ready or fails (or the budget ends).
// Prints one line `RESULT <json>` on stdout.
import { mkdirSync, readdirSync, readFileSync, symlinkSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import http from 'node:http';

const [lib, job, arg] = process.argv.slice(2);
// untun rejects internal promises after close(); keep the runner alive to report.
process.on('unhandledRejection', () => {});
const fake = new URL('../dist/testing/fake-cloudflared.mjs', import.meta.url).pathname;
const t0 = Date.now();
const now = () => Date.now();
const events = [];
const note = (type, value) => events.push({ type, at: now(), value });

// A real origin so nothing fails for the wrong reason.
const origin = http.createServer((_req, res) => res.end('ok'));
await new Promise((r) => origin.listen(0, '127.0.0.1', r));
origin.unref();
const url = `http://127.0.0.1:${origin.address().port}`;

async function adapter() {
  if (lib === 'band') {
    const { createTunnel } = await import('../dist/index.js');
    const t = createTunnel({
      url,
      binaryPath: fake,
      stateDir: join(tmpdir(), 'bench-state'),
      ...JSON.parse(process.env.BENCH_TUNNEL_OPTIONS || '{}'),
    });
    t.on('url', (u) => u && note('url', u));
    t.on('ready', () => note('ready'));
    t.on('degraded', () => note('degraded'));
    t.on('recovered', () => note('recovered'));
    t.on('state', (s) => s.s === 'failed' && note('failed', `${s.error.code}: ${s.error.message}`));
    t.on('ready', () => note('protocol', t.status().protocol ?? 'quic'));
    return {
      start: () =>
        t.start().then(
          (r) => r.url,
          (e) => {
            note('failed', `${e.code}: ${e.message}`);
          },
        ),
      stop: () => t.stop(),
    };
  }
  if (lib === 'untun') {
    // untun downloads cloudflared to <tmpdir>/node-untun/cloudflared.<CLOUDFLARED_VERSION> unless it exists.
    const dir = join(tmpdir(), 'node-untun');
    mkdirSync(dir, { recursive: true });
    const bin = join(dir, `cloudflared.${process.env.CLOUDFLARED_VERSION}`);
    if (!existsSync(bin)) symlinkSync(fake, bin);
    const { startTunnel } = await (await import('./compare/load.mjs')).loadUntun();
    let handle;
    return {
      async start() {
        handle = await startTunnel({ url, acceptCloudflareNotice: true });
        try {
          const u = await handle.getURL();
          note('url', u);
          note('ready');
          return u;
        } catch (e) {
          note('failed', String(e.message ?? e).slice(0, 300));
        }
      },
      stop: () => handle?.close(),
    };
  }
  if (lib === 'cloudflared') {
    const cf = (await (await import('./compare/load.mjs')).loadCloudflared()).default;
    cf.use(fake);
    let t;
    let exited;
    return {
      start() {
        t = cf.Tunnel.quick(url);
        exited = new Promise((r) => t.once('exit', (code, signal) => r({ code, signal })));
        t.on('url', (u) => note('url', u));
        t.on('connected', () => note('ready'));
        t.on('disconnected', () => note('degraded'));
        t.on('error', (e) => note('failed', String(e?.message ?? e)));
        t.on('exit', (code, signal) => note('exit', `${code} ${signal}`));
        return new Promise((resolve) => {
          t.once('connected', () => resolve(true));
          t.once('exit', () => resolve(undefined));
        });
      },
      async stop() {
        t.stop();
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      },
    };
  }
  throw new Error(`unknown lib ${lib}`);
}

function fakeRecords() {
  const dir = process.env.FAKE_CFD_STATE_DIR;
  try {
    return readdirSync(dir).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
  } catch {
    return [];
  }
}
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const a = await adapter();
const out = (result) => {
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
};

if (job === 'timing') {
  const iterations = Number(arg) || 5;
  const start = [];
  const stop = [];
  const a0 = a;
  for (let i = 0; i < iterations; i++) {
    const x = i === 0 ? a0 : await adapter();
    const s0 = performance.now();
    const ok = await x.start();
    if (!ok) out({ error: 'start failed', events });
    start.push(performance.now() - s0);
    const s1 = performance.now();
    await x.stop();
    stop.push(performance.now() - s1);
  }
  out({ start, stop });
} else if (job === 'orphan') {
  await a.start();
  const pids = fakeRecords()
    .map((r) => r.pid)
    .filter(alive);
  // Stay alive: the bench SIGKILLs this process and then looks for survivors.
  process.stdout.write(`RESULT ${JSON.stringify({ pids })}\n`);
  setInterval(() => {}, 1 << 30);
} else if (job === 'until') {
  const budgetMs = Number(arg) || 6_000;
  const s0 = now();
  const settled = () => events.some((e) => e.type === 'ready' || e.type === 'failed' || e.type === 'exit');
  void a.start();
  while (!settled() && now() - s0 < budgetMs) await new Promise((r) => setTimeout(r, 20));
  const readyAt = events.find((e) => e.type === 'ready')?.at;
  const timedOut = !settled();
  // What happens after our own stop() is not the library's verdict.
  const verdictEvents = events.slice();
  await Promise.race([a.stop(), new Promise((r) => setTimeout(r, 15_000))]);
  await new Promise((r) => setTimeout(r, 300));
  const recs = fakeRecords();
  out({
    events: verdictEvents.map((e) => ({ ...e, at: e.at - s0 })),
    readyMs: readyAt === undefined ? undefined : readyAt - s0,
    timedOut,
    // Routable: the fake had an edge connection registered by the time the library said ready.
    registeredAt: recs.flatMap((r) => r.events.filter((e) => e.name === 'registered').map((e) => e.at - s0)),
    aliveAfterStop: recs.map((r) => r.pid).filter(alive),
  });
} else {
  const budgetMs = Number(arg) || 6_000;
  const started = a.start();
  await Promise.race([started, new Promise((r) => setTimeout(r, budgetMs))]);
  // Keep watching for the rest of the budget (drops, crashes, restarts).
  const rest = budgetMs - (now() - t0);
  if (rest > 0) await new Promise((r) => setTimeout(r, rest));
  const s0 = performance.now();
  await Promise.race([a.stop(), new Promise((r) => setTimeout(r, 15_000))]);
  const stopMs = performance.now() - s0;
  await new Promise((r) => setTimeout(r, 300));
  const recs = fakeRecords();
  out({
    events,
    stopMs,
    actualUrls: recs.flatMap((r) => r.events.filter((e) => e.name === 'url').map((e) => e.url)),
    registeredAt: recs.flatMap((r) => r.events.filter((e) => e.name === 'registered').map((e) => e.at)),
    aliveAfterStop: recs.map((r) => r.pid).filter(alive),
  });
}
