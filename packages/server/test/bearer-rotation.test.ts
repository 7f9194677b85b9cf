import { Agent, request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from '../src/index.js';

// The gate keeps the bearer token it last accepted instead of hashing it on every request (issue 21). A new token
// must still refuse the old one at once, on a connection that is already open, and the refusal is logged with its
// reason like any other.
const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

function get(
  agent: Agent,
  port: number,
  path: string,
  token: string,
): Promise<{ status: number; body: string; socket: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, agent, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, socket: req.socket }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('bearer token', () => {
  it('a rotated token refuses the old one at once, on the same keep-alive connection, and logs why', async () => {
    const home = await mkdtemp(join(tmpdir(), 'band-rotation-test-'));
    temps.push(home);
    const lines: string[] = [];
    const logger = {
      debug() {},
      info: (line: string) => lines.push(line),
      warn: (line: string) => lines.push(line),
      error: (line: string) => lines.push(line),
    };
    await using server = await startServer({ home, port: 0, host: '127.0.0.1', logger });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const old = server.settings.get().tokenSecret;
      const first = await get(agent, server.port, '/api/trpc/health', old);
      const second = await get(agent, server.port, '/api/trpc/health', old);
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.socket).toBe(first.socket); // one connection throughout

      const fresh = 'e'.repeat(64);
      await server.settings.update((s) => ({ ...s, tokenSecret: fresh }));
      const refused = await get(agent, server.port, '/api/trpc/health', old);
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.body)).toMatchObject({ error: 'BAD_TOKEN' });
      expect(refused.socket).toBe(first.socket);
      expect((await get(agent, server.port, '/api/trpc/health', fresh)).status).toBe(200);
      // Changing it back is a rotation too: the token accepted a moment ago no longer passes.
      await server.settings.update((s) => ({ ...s, tokenSecret: old }));
      expect((await get(agent, server.port, '/api/trpc/health', fresh)).status).toBe(401);
      expect((await get(agent, server.port, '/api/trpc/health', old)).status).toBe(200);

      const refusals = lines.filter((line) => / 401 .*BAD_TOKEN/.test(line));
      expect(refusals).toHaveLength(2);
      expect(refusals[0]).toMatch(/^local GET \/api\/trpc\/health 401 \d+ms BAD_TOKEN$/);
      expect(lines.join('\n')).not.toContain(old);
      expect(lines.join('\n')).not.toContain(fresh);
    } finally {
      agent.destroy();
    }
  });
});
