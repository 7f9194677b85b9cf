import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLineLogger } from '../src/line-logger.js';
import { SLOW } from '../../../tooling/testing/slow.js';

function sink() {
  const writes: string[] = [];
  return { writes, stream: { write: (chunk: string) => writes.push(chunk) } as unknown as NodeJS.WritableStream };
}

describe('the server log (createLineLogger)', () => {
  it('writes the lines of one event-loop turn in one write, in order, off the request path', async () => {
    const out = sink();
    const err = sink();
    const logger = createLineLogger({ out: out.stream, err: err.stream });
    logger.info('local GET /api/trpc/health 200 1ms');
    logger.warn('auth: failed attempts rate-limited');
    logger.info('local GET / 200 4ms');
    expect(out.writes).toEqual([]); // nothing written while the request is being answered
    await new Promise((r) => setImmediate(r));
    expect(out.writes).toEqual(['local GET /api/trpc/health 200 1ms\nlocal GET / 200 4ms\n']);
    expect(err.writes).toEqual(['auth: failed attempts rate-limited\n']);
    logger.close();
  });

  it('close() writes what is pending at once', () => {
    const out = sink();
    const logger = createLineLogger({ out: out.stream, err: sink().stream });
    logger.info('stopping');
    logger.close();
    expect(out.writes).toEqual(['stopping\n']);
  });

  it(
    'loses no request line when `band start` is stopped (SIGTERM right after the request)',
    async () => {
      const home = await mkdtemp(join(tmpdir(), 'band-log-test-'));
      const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
      const child = spawn(process.execPath, [main, '--port', '0'], {
        env: { ...process.env, BAND_HOME: home },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (c) => {
        out += c;
      });
      try {
        await expect
          .poll(() => out.match(/running at (http:\/\/\S+:\d+)/)?.[1], { timeout: 60_000, interval: 25 })
          .toBeTruthy();
        const url = out.match(/running at (http:\/\/\S+:\d+)/)![1]!;
        const { tokenSecret } = JSON.parse(await readFile(join(home, 'settings.json'), 'utf8')) as {
          tokenSecret: string;
        };
        for (let i = 0; i < 20; i++) {
          const res = await fetch(`${url}/api/trpc/health?n=${i}`, {
            headers: { authorization: `Bearer ${tokenSecret}` },
          });
          expect(res.status).toBe(200);
        }
        child.kill('SIGTERM');
        const [code] = await once(child, 'exit');
        expect(code).toBe(0);
        // One access line per request, the query string never logged.
        expect(out.match(/local GET \/api\/trpc\/health 200 /g)).toHaveLength(20);
        expect(out).not.toContain('?n=');
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await rm(home, { recursive: true, force: true });
      }
    },
    SLOW.timeout * 4,
  );
});
