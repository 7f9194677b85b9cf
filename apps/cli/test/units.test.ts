// In-process checks of the pieces the subprocess tests cannot reach cheaply.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { authHeaders, wsUrl } from '../src/client.js';
import { bashCompletion, collectCommands, fishCompletion, zshCompletion } from '../src/commands/completion.js';
import { openerFor } from '../src/commands/open.js';
import { parseSettingValue } from '../src/commands/settings.js';
import { assertSafeTransport, isLoopbackHost, resolveConnection, resolveOutputFormat } from '../src/config.js';
import { CliError } from '../src/errors.js';
import { inertContext } from '../src/inert-context.js';
import { colorEnabled, createStyle, formatDuration, renderTable } from '../src/output.js';
import { createProgram } from '../src/program.js';

const TOKEN = 'a'.repeat(64);
const dirs: string[] = [];
async function tempHome(settings?: object): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'band-cli-unit-'));
  dirs.push(dir);
  if (settings) await writeFile(join(dir, 'settings.json'), JSON.stringify(settings));
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('connection settings', () => {
  it('uses BAND_SERVER_URL, else the port from settings.json, else 127.0.0.1:3456 (never localhost)', async () => {
    const home = await tempHome({ webServerPort: 4567, tokenSecret: `  ${TOKEN}\n` });
    expect((await resolveConnection({ BAND_HOME: home })).serverUrl).toBe('http://127.0.0.1:4567');
    expect((await resolveConnection({ BAND_HOME: home, BAND_SERVER_URL: 'https://x.example.com/' })).serverUrl).toBe(
      'https://x.example.com',
    );
    expect((await resolveConnection({ BAND_HOME: await tempHome() })).serverUrl).toBe('http://127.0.0.1:3456');
  });

  it('prefers BAND_TOKEN over settings.json and trims the file token', async () => {
    const home = await tempHome({ tokenSecret: `  ${TOKEN}\n` });
    const fromFile = await resolveConnection({ BAND_HOME: home });
    expect(fromFile.token).toBe(TOKEN);
    expect(fromFile.tokenSource).toEqual({ kind: 'settings', file: join(home, 'settings.json') });
    const fromEnv = await resolveConnection({ BAND_HOME: home, BAND_TOKEN: ' b\n' });
    expect(fromEnv.token).toBe('b');
    expect(fromEnv.tokenSource.kind).toBe('env');
  });

  it('has no token (and says why) when settings.json is missing or corrupt', async () => {
    const missing = await resolveConnection({ BAND_HOME: await tempHome() });
    expect(missing.token).toBeNull();
    expect(missing.tokenSource.kind).toBe('none');
    const corrupt = await tempHome();
    await writeFile(join(corrupt, 'settings.json'), '{not json');
    expect((await resolveConnection({ BAND_HOME: corrupt })).tokenSource.kind).toBe('none');
  });

  it('rejects a server URL that is not http(s)', async () => {
    await expect(resolveConnection({ BAND_HOME: await tempHome(), BAND_SERVER_URL: 'ftp://x' })).rejects.toMatchObject({
      code: 'USAGE',
    });
    await expect(
      resolveConnection({ BAND_HOME: await tempHome(), BAND_SERVER_URL: 'not a url' }),
    ).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('never sends the token over plain HTTP to another machine', () => {
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]', 'app.localhost']) {
      expect(() => assertSafeTransport({ serverUrl: `http://${host}:3456`, token: TOKEN })).not.toThrow();
    }
    for (const host of [
      'example.com',
      '192.168.1.2',
      '10.0.0.1',
      '[fe80::1]',
      'localhost.evil.com',
      '127.0.0.1.nip.io',
    ]) {
      expect(() => assertSafeTransport({ serverUrl: `http://${host}:3456`, token: TOKEN }), host).toThrow(CliError);
    }
    expect(() => assertSafeTransport({ serverUrl: 'https://band.example.com', token: TOKEN })).not.toThrow();
    expect(() => assertSafeTransport({ serverUrl: 'http://example.com', token: null })).not.toThrow();
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
  });

  it('sends the token only as a bearer header, with the exact Origin', () => {
    expect(authHeaders({ serverUrl: 'https://b.example.com/x', token: 't' })).toEqual({
      authorization: 'Bearer t',
      origin: 'https://b.example.com',
    });
    expect(authHeaders({ serverUrl: 'http://localhost:1', token: null })).toEqual({ origin: 'http://localhost:1' });
    expect(wsUrl('https://b.example.com', '/api/trpc-ws')).toBe('wss://b.example.com/api/trpc-ws');
    expect(wsUrl('http://localhost:3456', '/api/trpc-ws')).toBe('ws://localhost:3456/api/trpc-ws');
  });

  it('takes --output over BAND_OUTPUT over text, and refuses other formats', () => {
    expect(resolveOutputFormat(undefined, {})).toBe('text');
    expect(resolveOutputFormat(undefined, { BAND_OUTPUT: 'json' })).toBe('json');
    expect(resolveOutputFormat('text', { BAND_OUTPUT: 'json' })).toBe('text');
    expect(() => resolveOutputFormat(undefined, { BAND_OUTPUT: 'yaml' })).toThrow(/BAND_OUTPUT/);
  });
});

describe('output', () => {
  it('aligns columns under UPPERCASE headers and shows empty cells as -', () => {
    const text = renderTable(
      [
        { a: 'x', b: 'long value' },
        { a: 'longer', b: '' },
      ],
      [
        { header: 'id', value: (r) => r.a },
        { header: 'Path', value: (r) => r.b },
      ],
    );
    expect(text).toBe('ID      PATH\nx       long value\nlonger  -\n');
  });

  it('uses colours only on a TTY and never with NO_COLOR', () => {
    expect(colorEnabled({ write: () => 0, isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ write: () => 0, isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ write: () => 0, isTTY: false }, {})).toBe(false);
    expect(createStyle(false).red('x')).toBe('x');
  });

  it('formats durations like 3m 42s', () => {
    expect(formatDuration(222_000)).toBe('3m 42s');
    expect(formatDuration(5_000)).toBe('5s');
    expect(formatDuration(-1)).toBe('-');
  });
});

describe('commands', () => {
  it('parses JSON objects and arrays for settings set, leaving scalars to the schema', () => {
    expect(parseSettingValue('4000')).toBe('4000');
    expect(parseSettingValue('["a"]')).toEqual(['a']);
    expect(parseSettingValue('{broken')).toBe('{broken');
  });

  it('opens URLs with BROWSER, else the platform opener', () => {
    expect(openerFor('linux', {}).command).toBe('xdg-open');
    expect(openerFor('darwin', {}).command).toBe('open');
    expect(openerFor('win32', {}).args).toContain('start');
    expect(openerFor('linux', { BROWSER: '/usr/bin/firefox' }).command).toBe('/usr/bin/firefox');
  });

  it('generates completion scripts that the shells accept', () => {
    const nodes = collectCommands(createProgram(inertContext()));
    const bash = bashCompletion(nodes);
    expect(bash).toContain('"tunnel start"');
    execFileSync('bash', ['-n'], { input: bash });
    // Completing `band tunnel st` offers start, status and stop.
    const out = execFileSync('bash', [
      '-c',
      `${bash}\nCOMP_WORDS=(band tunnel st); COMP_CWORD=2; _band_complete; echo "\${COMPREPLY[*]}"`,
    ]).toString();
    expect(out.trim().split(' ').sort()).toEqual(['start', 'status', 'stop']);
    expect(zshCompletion(nodes)).toContain('compdef _band band');
    expect(fishCompletion(nodes)).toContain(
      "complete -c band -n \"__band_path_is 'tunnel'\" -a 'setup start stop status'",
    );
  });
});
