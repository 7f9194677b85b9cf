// `band chats send --watch` / `band chats watch` across a dropped connection and Ctrl+C.
import { join } from 'node:path';
import { fakeAgentEnv } from '@band/agents/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeRepo, writeBandSettings } from './fixtures.js';
import { band, spawnBand, startDroppingProxy, startTestServer, type TestServer, tempDir } from './helpers.js';

const EVENTS = 40;
let srv: TestServer;
let home: Awaited<ReturnType<typeof tempDir>>;
let scratch: Awaited<ReturnType<typeof tempDir>>;
let proxy: Awaited<ReturnType<typeof startDroppingProxy>>;
let wsId: string;

beforeAll(async () => {
  home = await tempDir('band-cli-watch-home-');
  scratch = await tempDir('band-cli-watch-');
  await writeBandSettings(home.path);
  const repo = await makeRepo(join(scratch.path, 'slowrepo'));
  // Each turn of the fake agent streams EVENTS text chunks, 250 ms apart (long enough to act while it runs, on a loaded
  // machine).
  srv = await startTestServer({
    home: home.path,
    env: fakeAgentEnv({ scenario: 'slow', events: EVENTS, delayMs: 250 }),
  });
  proxy = await startDroppingProxy(srv);
  expect((await band(['projects', 'add', repo], { env: srv.env })).code).toBe(0);
  const ws = await band(['workspaces', 'create', 'slowrepo', 'work', '--output', 'json'], { env: srv.env });
  wsId = JSON.parse(ws.stdout).workspace.id;
});

afterAll(async () => {
  await proxy?.close();
  await srv?.close();
  await home?.cleanup();
  await scratch?.cleanup();
});

const chunksOf = (events: Array<{ event: { type: string; text?: string } }>) =>
  events.filter((e) => e.event.type === 'text-delta').map((e) => e.event.text?.trim());

describe('watching a turn', () => {
  it('resumes after the connection drops, with every event exactly once, and exits with the turn status', async () => {
    const env = { ...srv.env, BAND_SERVER_URL: proxy.url };
    const watch = spawnBand(['chats', 'send', '--workspace', wsId, '--message', 'go', '--watch', '--output', 'json'], {
      env,
      timeoutMs: 60_000,
    });
    await watch.waitFor(/chunk 3 /);
    expect(proxy.dropAll()).toBeGreaterThan(0);
    await watch.waitFor(/Connection lost/, 'stderr');
    const result = await watch.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/Reconnected/);
    const events = result.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    const seqs = events.map((e: { seq: number }) => e.seq);
    // No duplicates and no gaps across the reconnect.
    expect(seqs).toEqual(seqs.map((_: number, i: number) => seqs[0]! + i));
    expect(chunksOf(events)).toEqual(Array.from({ length: EVENTS }, (_, i) => `chunk ${i}`));
    expect(events.at(-1).event).toMatchObject({ type: 'turn-end', status: 'done' });
  });

  it('stops watching on Ctrl+C (exit 130) without aborting the turn; `chats watch` follows it to the end', async () => {
    const env = srv.env;
    const first = spawnBand(['chats', 'send', '--workspace', wsId, '--message', 'again', '--watch'], {
      env,
      timeoutMs: 60_000,
    });
    await first.waitFor(/chunk 2 /);
    first.process.kill('SIGINT');
    const stopped = await first.done;
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/Stopped watching/);

    // The turn keeps running: `band chats watch` (active chat of the workspace) picks it up from its start.
    const watch = await band(['chats', 'watch', '--workspace', wsId], { env, timeoutMs: 60_000 });
    expect(watch.code, watch.stderr).toBe(0);
    expect(watch.stdout).toContain('> again');
    expect(watch.stdout).toContain(`chunk ${EVENTS - 1}`);
    expect(watch.stdout).toContain('[turn done]');
  });

  it('gives up with the fix when the event stream is refused (a proxy that does not keep the Origin)', async () => {
    const bad = await startDroppingProxy(srv, { rewriteOrigin: false });
    try {
      const result = await band(['chats', 'watch', '--workspace', wsId], {
        env: { ...srv.env, BAND_SERVER_URL: bad.url },
        timeoutMs: 30_000,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/refused the event stream/);
      expect(result.stderr).toMatch(/hint: .*Origin/);
    } finally {
      await bad.close();
    }
  });

  it('exits 1 when the watched turn is aborted', async () => {
    const env = srv.env;
    const watch = spawnBand(['chats', 'send', '--workspace', wsId, '--message', 'to abort', '--watch'], {
      env,
      timeoutMs: 60_000,
    });
    await watch.waitFor(/chunk 1 /);
    const list = JSON.parse((await band(['chats', 'list', wsId, '--output', 'json'], { env })).stdout);
    const abort = await band(['chats', 'abort', list[0].id], { env });
    expect(abort.code).toBe(0);
    expect(abort.stdout).toMatch(/^Aborted turn_/);
    const result = await watch.done;
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/\[turn aborted/);
    await vi.waitFor(
      async () => {
        const history = JSON.parse((await band(['chats', 'history', list[0].id, '--output', 'json'], { env })).stdout);
        expect(history.turns.at(-1).status).toBe('aborted');
      },
      { timeout: 15_000, interval: 250 },
    );
  });
});
