#!/usr/bin/env node
// Benchmark: how long a Codex approval takes to reach the host. The real Codex (`codex app-server`, offline against
// the scripted Responses API) is asked by the model to run N commands in one turn; for each, the time from the
// scripted model answering with the call to the session yielding its `approval-request` (Codex's own processing,
// the JSON-RPC request, Band's client). Each request is allowed at once. Needs the built package (npm run build).
// Usage: node bench/codex-approval-latency.mjs [N=40]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCodingAgent } from '@band/agents';
import { codexOfflineEnv, findCodexBinary, startScriptedModel } from '@band/agents/testing';

const n = Number(process.argv[2] ?? 40);
const dir = mkdtempSync(join(tmpdir(), 'band-codex-bench-'));
const repo = join(dir, 'repo');
mkdirSync(repo);
execFileSync('git', ['init', '-q', repo]);
const asked = new Map(); // call id → when the model answered with it
try {
  const model = await startScriptedModel((_request, index) => {
    if (index >= n) return { content: [{ type: 'text', text: 'done' }] };
    const id = `call_bench_${index}`;
    asked.set(id, performance.now());
    return {
      content: [{ type: 'tool_use', id, name: 'exec_command', input: { cmd: `echo ${index} >> counted.txt` } }],
    };
  });
  const agent = createCodingAgent({
    type: 'codex',
    command: findCodexBinary(),
    baseEnv: { PATH: process.env.PATH },
    env: codexOfflineEnv({ home: join(dir, 'home'), baseUrl: model.url }),
  });
  const session = agent.runSession('Count', { cwd: repo, mode: 'default', approvals: true });
  const latencies = [];
  for await (const event of session) {
    if (event.type !== 'approval-request') continue;
    latencies.push(performance.now() - asked.get(event.toolUseId));
    session.respond(event.requestId, { behavior: 'allow' });
  }
  const result = await session.result;
  await model.close();
  const lines = readFileSync(join(repo, 'counted.txt'), 'utf8').trim().split('\n').length;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)].toFixed(1);
  console.log(`codex approvals: ${latencies.length} requests (${lines} commands ran), turn ${result.status}`);
  console.log(
    `model answered with the call ` +
      `-> approval-request: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${latencies.at(-1).toFixed(1)} ms`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
