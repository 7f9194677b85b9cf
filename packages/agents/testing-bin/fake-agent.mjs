#!/usr/bin/env node
// A fake coding-agent CLI for tests: speaks Claude Code stream-json, Codex `exec --json`, Codex `app-server`
// (JSON-RPC over stdio: initialize, thread/start or thread/resume, turn/start; it exits when stdin closes) or
// OpenCode `run --format json` (picked from argv like the real CLIs), and acts out what a real CLI cannot do on demand.
//
// Environment:
//   FAKE_AGENT_SCENARIO ok | crash | malformed | large | slow | hang | linger | flood | storm | stderr-only | api-error
//   FAKE_AGENT_WRITE     ok: relative path of a file to create in the cwd
//   FAKE_AGENT_ARGV_FILE write argv, cwd and the names of the environment variables (JSON) here; app-server: also the
//                        JSON-RPC messages received up to turn/start (`rpc`)
//   FAKE_AGENT_PID_FILE  hang: write "<pid> <grandchild pid>" here
//   FAKE_AGENT_IGNORE_TERM=1  ignore SIGTERM (tests SIGKILL escalation)
//   FAKE_AGENT_BYTES     large: total bytes of text (default 50 MiB)
//   FAKE_AGENT_EVENTS    slow/flood: number of text events (default 20 / 10000)
//   FAKE_AGENT_DELAY_MS  slow: delay between events (default 50)
//   FAKE_AGENT_RATE      flood/storm: events per second (default: as fast as stdout drains)
//   FAKE_AGENT_TOOL_EVERY storm: one Bash round trip (2 events) every this many events (default 100)
//   FAKE_AGENT_TOOL_BYTES storm: bytes of each tool output (default 256 KiB; quotes, backslashes, emoji, newlines)
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Written whole or not at all: a test that polls for the file never reads it empty or half-written. */
const writeWhole = (file, text) => {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
};

const argv = process.argv.slice(2);
const env = process.env;
const scenario = env.FAKE_AGENT_SCENARIO ?? 'ok';
const format =
  argv[0] === 'exec' ? 'codex' : argv[0] === 'app-server' ? 'appserver' : argv[0] === 'run' ? 'opencode' : 'claude';
const argAfter = (flag) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
if (env.FAKE_AGENT_IGNORE_TERM === '1') process.on('SIGTERM', () => {});
if (env.FAKE_AGENT_ARGV_FILE)
  writeWhole(env.FAKE_AGENT_ARGV_FILE, JSON.stringify({ argv, cwd: process.cwd(), envNames: Object.keys(env) }));

const resumeId =
  format === 'claude' ? argAfter('--resume') : format === 'codex' ? argAfter('resume') : argAfter('--session');
let sessionId =
  resumeId ??
  (format === 'codex' || format === 'appserver'
    ? `019e${randomUUID().slice(4)}`
    : format === 'opencode'
      ? `ses_${randomUUID().slice(0, 12)}`
      : randomUUID());
const model = argAfter('--model') ?? argAfter('-m') ?? 'fake-model';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function write(line) {
  return new Promise((resolve) => {
    if (process.stdout.write(line)) resolve();
    else process.stdout.once('drain', resolve);
  });
}
const emit = (obj) => write(`${JSON.stringify(obj)}\n`);

/** app-server: answers the handshake, returns the prompt of turn/start; stdin stays open, and its end is the exit. */
function appServerHandshake() {
  const rpc = [];
  let buffer = '';
  return new Promise((resolve) => {
    process.stdin.on('data', (chunk) => {
      buffer += chunk;
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        const message = JSON.parse(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
        rpc.push(message);
        const { id, method, params } = message;
        if (method === 'initialize')
          emit({
            id,
            result: { userAgent: 'fake', codexHome: '/nowhere', platformFamily: 'unix', platformOs: 'linux' },
          });
        if (method === 'thread/start' || method === 'thread/resume') {
          if (params.threadId) sessionId = params.threadId;
          emit({ id, result: { thread: { id: sessionId }, model, cwd: process.cwd() } });
        }
        if (method === 'turn/start') {
          emit({ id, result: { turn: { id: 'turn_1', status: 'inProgress' } } });
          if (env.FAKE_AGENT_ARGV_FILE)
            writeWhole(
              env.FAKE_AGENT_ARGV_FILE,
              JSON.stringify({ argv, cwd: process.cwd(), envNames: Object.keys(env), rpc }),
            );
          resolve(params.input.map((i) => i.text ?? '').join(''));
        }
      }
    });
    // The host closes stdin once the turn completed: exit then, like the real app-server (unless acting out a CLI that
    // lingers).
    process.stdin.on('end', () => {
      if (scenario !== 'linger' && scenario !== 'hang') process.exit(0);
    });
  });
}

async function readStdin() {
  if (format === 'opencode') return argv[argv.indexOf('--') + 1] ?? '';
  if (format === 'appserver') return appServerHandshake();
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  const text = Buffer.concat(chunks).toString('utf8');
  if (format === 'codex') return text;
  try {
    const content = JSON.parse(text.split('\n')[0]).message.content;
    return typeof content === 'string' ? content : content.map((b) => b.text ?? '').join('');
  } catch {
    return text;
  }
}

// --- per-format event builders ---
const F = {
  claude: {
    start: () => ({
      type: 'system',
      subtype: 'init',
      cwd: process.cwd(),
      session_id: sessionId,
      model,
      tools: ['Bash', 'Write'],
      permissionMode: argAfter('--permission-mode') ?? 'default',
      uuid: randomUUID(),
    }),
    text: (text, i = 0) => ({
      type: 'assistant',
      message: {
        id: `msg_${i}`,
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text }],
        stop_reason: null,
        usage: { input_tokens: 1, output_tokens: 1 },
      },
      parent_tool_use_id: null,
      session_id: sessionId,
      uuid: randomUUID(),
    }),
    tool: (id, name, input) => ({
      type: 'assistant',
      message: {
        id: `msg_t${id}`,
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'tool_use', id, name, input }],
        stop_reason: null,
        usage: { input_tokens: 1, output_tokens: 1 },
      },
      parent_tool_use_id: null,
      session_id: sessionId,
      uuid: randomUUID(),
    }),
    toolResult: (id, output, isError = false) => ({
      type: 'user',
      message: {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: id, content: output, is_error: isError }],
      },
      parent_tool_use_id: null,
      session_id: sessionId,
      uuid: randomUUID(),
    }),
    result: (ok = true, text = 'done') => ({
      type: 'result',
      subtype: ok ? 'success' : 'error_during_execution',
      is_error: !ok,
      duration_ms: 12,
      duration_api_ms: 10,
      num_turns: 2,
      result: text,
      session_id: sessionId,
      total_cost_usd: 0.0021,
      usage: { input_tokens: 2, output_tokens: 5 },
      permission_denials: [],
      uuid: randomUUID(),
    }),
  },
  codex: {
    start: () => ({ type: 'thread.started', thread_id: sessionId }),
    turnStart: () => ({ type: 'turn.started' }),
    text: (text, i = 0) => ({ type: 'item.completed', item: { id: `item_m${i}`, type: 'agent_message', text } }),
    tool: (id, _name, input) => ({
      type: 'item.started',
      item: {
        id,
        type: 'command_execution',
        command: input.command ?? 'true',
        aggregated_output: '',
        exit_code: null,
        status: 'in_progress',
      },
    }),
    toolResult: (id, output, isError = false) => ({
      type: 'item.completed',
      item: {
        id,
        type: 'command_execution',
        command: 'true',
        aggregated_output: output,
        exit_code: isError ? 1 : 0,
        status: isError ? 'failed' : 'completed',
      },
    }),
    result: (ok = true) =>
      ok
        ? { type: 'turn.completed', usage: { input_tokens: 2, cached_input_tokens: 0, output_tokens: 5 } }
        : { type: 'turn.failed', error: { message: 'unexpected status 401 Unauthorized' } },
  },
  appserver: {
    start: () => ({
      method: 'turn/started',
      params: { threadId: sessionId, turn: { id: 'turn_1', status: 'inProgress' } },
    }),
    text: (text, i = 0) => ({
      method: 'item/completed',
      params: { threadId: sessionId, turnId: 'turn_1', item: { type: 'agentMessage', id: `msg_${i}`, text } },
    }),
    tool: (id, _name, input) => ({
      method: 'item/started',
      params: {
        threadId: sessionId,
        turnId: 'turn_1',
        item: {
          type: 'commandExecution',
          id,
          command: input.command ?? 'true',
          status: 'inProgress',
          aggregatedOutput: null,
          exitCode: null,
        },
      },
    }),
    toolResult: (id, output, isError = false) => ({
      method: 'item/completed',
      params: {
        threadId: sessionId,
        turnId: 'turn_1',
        item: {
          type: 'commandExecution',
          id,
          command: 'true',
          status: isError ? 'failed' : 'completed',
          aggregatedOutput: output,
          exitCode: isError ? 1 : 0,
        },
      },
    }),
    result: (ok = true) => ({
      method: 'turn/completed',
      params: {
        threadId: sessionId,
        turn: ok
          ? { id: 'turn_1', status: 'completed', error: null }
          : { id: 'turn_1', status: 'failed', error: { message: 'unexpected status 401 Unauthorized' } },
      },
    }),
  },
  opencode: {
    start: () => ({ type: 'step_start', timestamp: Date.now(), sessionID: sessionId, part: { type: 'step-start' } }),
    text: (text, i = 0) => ({
      type: 'text',
      timestamp: Date.now(),
      sessionID: sessionId,
      part: { id: `prt_${i}`, messageID: `msg_${i}`, type: 'text', text, time: { start: 1, end: 2 } },
    }),
    tool: () => null,
    toolResult: (id, output, isError = false, input = {}) => ({
      type: 'tool_use',
      timestamp: Date.now(),
      sessionID: sessionId,
      part: {
        id: `prt_${id}`,
        callID: id,
        type: 'tool',
        tool: 'bash',
        state: isError ? { status: 'error', input, error: output } : { status: 'completed', input, output },
      },
    }),
    result: (ok = true) =>
      ok
        ? { type: 'done', timestamp: Date.now(), sessionID: sessionId, reason: 'idle', rejected: [] }
        : {
            type: 'error',
            timestamp: Date.now(),
            sessionID: sessionId,
            error: { name: 'APIError', data: { message: 'unauthorized' } },
          },
  },
}[format];

async function start() {
  await emit(F.start());
  if (F.turnStart) await emit(F.turnStart());
}

async function toolRoundTrip(id, command, output, isError = false) {
  const use = F.tool(id, 'Bash', { command });
  if (use) await emit(use);
  await emit(F.toolResult(id, output, isError, { command }));
}

const scenarios = {
  async ok() {
    const prompt = await readStdin();
    await start();
    await emit(F.text(`You said: ${prompt}`, 1));
    if (env.FAKE_AGENT_WRITE) {
      const file = join(process.cwd(), env.FAKE_AGENT_WRITE);
      mkdirSync(dirname(file), { recursive: true });
      const use = F.tool('toolu_w', 'Write', { file_path: file, content: 'hello\n' });
      if (use) await emit(use);
      writeFileSync(file, 'hello\n');
      await emit(F.toolResult('toolu_w', `File created successfully at: ${file}`, false, { file_path: file }));
    }
    await toolRoundTrip('toolu_1', 'echo hi', 'hi');
    await emit(F.text('done', 2));
    await emit(F.result(true));
  },
  async 'api-error'() {
    await readStdin();
    await start();
    await emit(F.result(false));
  },
  async crash() {
    await readStdin();
    await start();
    await emit(F.text('working on it', 1));
    process.stderr.write('panic: something broke (api_key=sk-ant-secret123456789)\n');
    // Killed mid-line: a truncated JSON value, then a hard exit.
    await write('{"type":"assistant","message":{"content":[{"type":"te');
    process.exit(3);
  },
  async 'stderr-only'() {
    process.stderr.write('Error: When using --print, --output-format=stream-json requires --verbose\n');
    process.exit(1);
  },
  async malformed() {
    await readStdin();
    await start();
    await write('this is not json\n');
    await write('{"type": "assistant", "message": \n'); // a value cut by an unescaped newline
    await write('\n');
    await write('[1,2,3]\n');
    await emit(F.text('still here', 1));
    await write(`${JSON.stringify(F.text('crlf line', 2))}\r\n`);
    await emit(F.result(true));
  },
  async large() {
    await readStdin();
    await start();
    const total = Number(env.FAKE_AGENT_BYTES ?? 50 * 1024 * 1024);
    const chunk = 'x'.repeat(64 * 1024);
    let sent = 0;
    let i = 0;
    while (sent < total) {
      await emit(F.text(chunk, i++));
      sent += chunk.length;
    }
    await emit(F.result(true, `sent ${sent}`));
  },
  async slow() {
    await readStdin();
    await start();
    const n = Number(env.FAKE_AGENT_EVENTS ?? 20);
    const delay = Number(env.FAKE_AGENT_DELAY_MS ?? 50);
    for (let i = 0; i < n; i++) {
      await emit(F.text(`chunk ${i} `, i));
      await sleep(delay);
    }
    await emit(F.result(true));
  },
  async flood() {
    await readStdin();
    await start();
    const n = Number(env.FAKE_AGENT_EVENTS ?? 10_000);
    const rate = Number(env.FAKE_AGENT_RATE ?? 0);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      if (rate > 0) {
        const due = t0 + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
      }
      await emit(F.text(`#${i}@${performance.timeOrigin + performance.now()}`, i));
    }
    await emit(F.result(true, `flooded ${n}`));
  },
  async storm() {
    // A long turn as a phone sees it: text deltas with large tool outputs in between, as fast as stdout drains.
    await readStdin();
    await start();
    const n = Number(env.FAKE_AGENT_EVENTS ?? 20_000);
    const every = Math.max(2, Number(env.FAKE_AGENT_TOOL_EVERY ?? 100));
    const bytes = Number(env.FAKE_AGENT_TOOL_BYTES ?? 256 * 1024);
    const rate = Number(env.FAKE_AGENT_RATE ?? 0);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const wait = rate > 0 ? t0 + (i * 1000) / rate - performance.now() : 0;
      if (wait > 1) await sleep(wait);
      if (i % every === every - 1 && i + 1 < n) {
        let output = '';
        for (let line = 0; output.length < bytes; line++)
          output += `${i}:${line} "quoted" \\ back\tslash ✓ 🎸 </script>\n`;
        await toolRoundTrip(`toolu_${i}`, `cat big-${i}.log`, output.slice(0, bytes));
        i++;
      } else {
        await emit(F.text(`#${i} `, i));
      }
    }
    await emit(F.result(true, `stormed ${n}`));
  },
  async hang() {
    await readStdin();
    await start();
    const grandchild = spawn(process.execPath, ['-e', 'process.on("SIGTERM",()=>{}); setInterval(()=>{},1000)'], {
      stdio: 'ignore',
    });
    if (env.FAKE_AGENT_PID_FILE) writeWhole(env.FAKE_AGENT_PID_FILE, `${process.pid} ${grandchild.pid}`);
    await emit(F.text('thinking forever', 1));
    setInterval(() => {}, 1000);
  },
  async linger() {
    await readStdin();
    await start();
    await emit(F.text('done', 1));
    await emit(F.result(true));
    setInterval(() => {}, 1000); // stdout stays open, like claude-code#25629
  },
};

const run = scenarios[scenario];
if (!run) {
  process.stderr.write(`fake-agent: unknown scenario ${scenario}\n`);
  process.exit(2);
}
await run();
