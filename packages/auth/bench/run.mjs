// Cost of the gate per request (authenticated and refused), measured by calling gate.handleRequest directly on
// in-memory requests (no sockets), plus the token comparison timing (first vs last character wrong).
// Writes bench-results/auth.json at the repo root.
import { mkdir, writeFile } from 'node:fs/promises';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { createTokenVerifier } from '../dist/index.js';
import { createTestGate, signInCookie } from '../dist/testing/index.js';

// BAND_BENCH_QUICK=1 (npm run bench -- --quick): a tenth of the iterations, to check the bench works.
const scale = process.env.BAND_BENCH_QUICK === '1' ? 0.1 : 1;
const t = await createTestGate({ localPort: 3456 });
const host = 'localhost:3456';
const cookie = await signInCookie(t.gate, t.token, { host });

function exchange(headers, url = '/api/trpc/health', method = 'GET') {
  const req = new IncomingMessage(new Socket());
  req.url = url;
  req.method = method;
  req.headers = headers;
  req.rawHeaders = Object.entries(headers).flat();
  const res = new ServerResponse(req);
  return { req, res };
}

async function measure(name, headers, options = {}) {
  const n = options.n ?? 20_000 * scale;
  const listener = options.listener ?? 'local';
  for (let i = 0; i < 2_000 * scale; i++) {
    const { req, res } = exchange(typeof headers === 'function' ? headers(i) : headers, options.url);
    await t.gate.handleRequest(req, res, listener);
  }
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const { req, res } = exchange(typeof headers === 'function' ? headers(i) : headers, options.url);
    await t.gate.handleRequest(req, res, listener);
  }
  const us = Number(process.hrtime.bigint() - start) / 1000 / n;
  return { name, value: Number(us.toFixed(2)), unit: 'µs', note: options.note ?? `${n} requests, in-memory req/res` };
}

const results = [];
{
  const n = 20_000 * scale;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const { res } = exchange({ host });
    res.setHeader('x', 'y');
  }
  const us = Number(process.hrtime.bigint() - start) / 1000 / n;
  results.push({
    name: 'baseline: build in-memory req/res only',
    value: Number(us.toFixed(2)),
    unit: 'µs',
    note: 'subtract from the rows below',
  });
}
results.push(await measure('request: bearer token (accepted)', { host, authorization: `Bearer ${t.token}` }));
results.push(await measure('request: session cookie (accepted)', { host, cookie, 'sec-fetch-site': 'same-origin' }));
results.push(await measure('request: no credential (refused 401/429)', { host, accept: 'application/json' }));
results.push(
  await measure(
    'request: no credential navigation (sign-in page)',
    { host, accept: 'text/html', 'sec-fetch-dest': 'document' },
    { url: '/' },
  ),
);
results.push(await measure('request: foreign Host (refused 403)', { host: 'evil.example' }));
results.push(
  await measure(
    'request: wrong bearer (refused; limiter engaged)',
    { host, authorization: `Bearer ${'0'.repeat(64)}` },
    { note: 'after 30 failures the local bucket answers 429' },
  ),
);

// A4: comparison timing, first vs last character wrong (timingSafeEqual over sha256 digests).
const verifier = createTokenVerifier(t.token);
const flip = (c) => (c === '0' ? '1' : '0');
const lastWrong = t.token.slice(0, 63) + flip(t.token[63]);
const firstWrong = flip(t.token[0]) + t.token.slice(1);
function timeVerify(value, n = 200_000 * scale) {
  for (let i = 0; i < 20_000 * scale; i++) verifier.verify(value);
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) verifier.verify(value);
  return Number(process.hrtime.bigint() - start) / n;
}
const rounds = [];
for (let r = 0; r < 5; r++) rounds.push([timeVerify(lastWrong), timeVerify(firstWrong)]);
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const last = median(rounds.map((x) => x[0]));
const first = median(rounds.map((x) => x[1]));
results.push({
  name: 'verify: token wrong in the last char',
  value: Number(last.toFixed(1)),
  unit: 'ns',
  note: 'median of 5 × 200k',
});
results.push({
  name: 'verify: token wrong in the first char',
  value: Number(first.toFixed(1)),
  unit: 'ns',
  note: 'median of 5 × 200k',
});
results.push({
  name: 'verify: first/last ratio',
  value: Number((first / last).toFixed(3)),
  unit: 'x',
  note: '≈1 means indistinguishable',
});

await t.close();

console.log('\n@band/auth bench');
console.table(results.map((r) => ({ name: r.name, value: r.value, unit: r.unit })));
const dir = new URL('../../../bench-results/', import.meta.url);
await mkdir(dir, { recursive: true });
await writeFile(new URL('auth.json', dir), `${JSON.stringify({ package: '@band/auth', results }, null, 2)}\n`);
