// A small closed-loop HTTP load generator (autocannon's model: N keep-alive connections, each sends its next
// request when the previous answer has arrived), run as its own process so it never shares the server's event loop.
//   node load.mjs '{"url":…,"method":"GET","headers":{…},"body":…,"connections":10,"durationMs":5000}'
// Prints one JSON line: { requests, total, errors, statuses, rps, p50Ms, p99Ms } (total includes the warm-up).
// Any non-2xx answer counts as an error.
import { Agent, request } from 'node:http';

const {
  url,
  method = 'GET',
  headers = {},
  body,
  connections = 10,
  durationMs = 5_000,
  warmupMs = 500,
} = JSON.parse(process.argv[2]);
const target = new URL(url);
const agent = new Agent({ keepAlive: true, maxSockets: connections });
const payload = body === undefined ? undefined : Buffer.from(body);
const allHeaders = {
  ...headers,
  ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
};

function once() {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method,
        headers: allHeaders,
        agent,
      },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve({ status: res.statusCode, ns: Number(process.hrtime.bigint() - t0) }));
      },
    );
    req.on('error', (error) =>
      resolve({ status: `error ${error.code ?? error.message}`, ns: Number(process.hrtime.bigint() - t0) }),
    );
    req.end(payload);
  });
}

const latencies = [];
const statuses = {};
let errors = 0;
let total = 0; // every answered request, warm-up included (the caller divides the server's CPU time by it)
let measuring = false;
const warmupEnd = Date.now() + warmupMs;
const end = warmupEnd + durationMs;
async function loop() {
  while (Date.now() < end) {
    const r = await once();
    total++;
    if (Date.now() < warmupEnd) continue;
    measuring = true;
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (typeof r.status !== 'number' || r.status < 200 || r.status > 299) errors++;
    latencies.push(r.ns / 1e6);
  }
}
await Promise.all(Array.from({ length: connections }, loop));
agent.destroy();
if (!measuring) throw new Error('no request completed after the warm-up');
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
process.stdout.write(
  `${JSON.stringify({
    requests: latencies.length,
    total,
    errors,
    statuses,
    rps: latencies.length / (durationMs / 1000),
    p50Ms: pct(50),
    p99Ms: pct(99),
  })}\n`,
);
