import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type BandServer, startServer } from '../src/index.js';

// A phone on a slow uplink sends a photo for longer than the request timeout: the upload must go through while it
// keeps sending, and only a stalled one is cut. Every other request keeps the tight limit (slow bodies, auth.md G7).
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function temp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'band-deadline-test-'));
  temps.push(dir);
  return dir;
}

async function start(): Promise<{ server: BandServer; token: string }> {
  const server = await startServer({
    home: await temp(),
    port: 0,
    logger: silent,
    headersTimeoutMs: 1_000,
    requestTimeoutMs: 1_000,
    uploadIdleTimeoutMs: 1_000,
  });
  const { tokenSecret } = JSON.parse(await readFile(join(server.home, 'settings.json'), 'utf8')) as {
    tokenSecret: string;
  };
  return { server, token: tokenSecret };
}

async function call(server: BandServer, token: string, path: string, input: unknown) {
  const res = await fetch(`${server.url}/api/trpc/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as { result?: { data: unknown }; error?: unknown };
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body.error)}`);
  return body.result!.data as Record<string, any>;
}

/** Writes a request's head at once, then its body in `chunks` pieces `gapMs` apart; resolves with what came back. */
async function trickle(
  server: BandServer,
  head: string,
  body: Buffer,
  chunks: number,
  gapMs: number,
  stopAfter = chunks,
) {
  const socket: Socket = connect(server.port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (d: Buffer) => {
    received += d.toString('latin1');
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  socket.write(head);
  const size = Math.ceil(body.length / chunks);
  for (let i = 0; i < stopAfter && !socket.destroyed; i++) {
    socket.write(body.subarray(i * size, (i + 1) * size));
    await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
  if (stopAfter === chunks) await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  else await closed;
  socket.destroy();
  return received;
}

function multipart(workspaceId: string, name: string, bytes: Buffer) {
  const boundary = 'band-test-boundary';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="workspaceId"\r\n\r\n${workspaceId}\r\n`),
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
        'Content-Type: text/plain\r\n\r\n',
    ),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}

describe('request body deadlines', () => {
  it('an upload slower than the request timeout goes through while it keeps sending; ' +
    'a JSON body as slow is cut with 408', async () => {
    const { server, token } = await start();
    try {
      const repo = await temp();
      execFileSync('git', ['init', '-q', '-b', 'main', repo]);
      await writeFile(join(repo, 'README.md'), '# r\n');
      execFileSync('git', ['-C', repo, 'add', '.']);
      execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init']);
      const { project } = await call(server, token, 'projects.register', { path: repo });
      const { workspace } = await call(server, token, 'workspaces.create', {
        project: project.id,
        branch: 'slow/upload',
        waitForSetup: true,
      });

      // 64 KiB in 16 pieces 200 ms apart: about 3 s, three times the 1 s request timeout.
      const photo = Buffer.alloc(64 * 1024, 'x');
      const { body, type } = multipart(workspace.id, 'photo.txt', photo);
      const head =
        `POST /api/trpc/uploads.create HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
        `Authorization: Bearer ${token}\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\n` +
        'Connection: close\r\n\r\n';
      const answer = await trickle(server, head, body, 16, 200);
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      expect(answer).toContain('"name":"photo.txt"');
      expect(answer).toContain(`"size":${photo.length}`);

      // The same pace for a JSON call: cut after 1 s, with a 408 that says why.
      const json = Buffer.from(JSON.stringify({ path: repo, name: 'x'.repeat(2_000) }));
      const jsonHead =
        `POST /api/trpc/projects.register HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
        `Authorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n` +
        'Connection: close\r\n\r\n';
      const cut = await trickle(server, jsonHead, json, 16, 200);
      expect(cut).toMatch(/^HTTP\/1\.1 408 /);
      expect(cut).toContain('not received in time');
    } finally {
      await server.close();
    }
  }, 60_000);

  it('an upload that stops sending is cut after the idle timeout, and the server keeps serving', async () => {
    const { server, token } = await start();
    try {
      const { body, type } = multipart('ws_none', 'stalled.txt', Buffer.alloc(64 * 1024, 'y'));
      const head =
        `POST /api/trpc/uploads.create HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
        `Authorization: Bearer ${token}\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\n\r\n`;
      const t0 = Date.now();
      // Half the body, then nothing: the connection must not be held open.
      const answer = await trickle(server, head, body, 16, 50, 8);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toContain('The upload stopped sending');
      expect(Date.now() - t0).toBeLessThan(20_000);
      const health = await fetch(`${server.url}/api/trpc/health`, { headers: { authorization: `Bearer ${token}` } });
      expect(health.status).toBe(200);
    } finally {
      await server.close();
    }
  }, 60_000);
});
