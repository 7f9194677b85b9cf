import { describe, expect, it } from 'vitest';
import { LineSplitter, parseLogLine, recognize, redact } from './log-parser.js';

const kinds = (line: string) => recognize(parseLogLine(line)).map((h) => h.kind);

describe('parseLogLine', () => {
  it('parses the text format with sorted fields and a quoted error', () => {
    const l = parseLogLine(
      '2025-08-21T09:07:58Z ERR Failed to dial a quic connection error="failed to dial to edge with quic: ' +
        'timeout: no recent network activity" connIndex=0 event=0 ip=198.41.192.77',
    );
    expect(l.level).toBe('error');
    expect(l.message).toBe('Failed to dial a quic connection');
    expect(l.fields).toMatchObject({
      error: 'failed to dial to edge with quic: timeout: no recent network activity',
      connIndex: 0,
      ip: '198.41.192.77',
    });
  });
  it('handles an empty message (two spaces after the level)', () => {
    const l = parseLogLine(
      '2025-08-21T09:07:58Z ERR  error="Unable to reach the origin service." cfRay=abc-LAX connIndex=0',
    );
    expect(l.message).toBe('');
    expect(l.fields.cfRay).toBe('abc-LAX');
  });
  it('parses --output json lines', () => {
    const l = parseLogLine(
      '{"connIndex":0,"connection":"4db5ec6e-4076-45c5-8752-745071bc2567","event":0,"ip":"198.41.192.77",' +
        '"level":"info","location":"lax05","message":"Registered tunnel ' +
        'connection","protocol":"quic","time":"2025-08-21T09:07:58Z"}',
    );
    expect(l).toMatchObject({ level: 'info', message: 'Registered tunnel connection', ts: '2025-08-21T09:07:58Z' });
    expect(recognize(l)).toEqual([
      { kind: 'registered', index: 0, id: '4db5ec6e-4076-45c5-8752-745071bc2567', location: 'lax05', protocol: 'quic' },
    ]);
  });
  it('strips ANSI colours from a pty', () => {
    expect(parseLogLine('\x1b[90m2025-08-21T09:07:58Z\x1b[0m \x1b[32mINF\x1b[0m Tunnel server stopped').message).toBe(
      'Tunnel server stopped',
    );
  });
  it('keeps malformed lines as unknown instead of throwing', () => {
    expect(parseLogLine('{not json').level).toBe('unknown');
    expect(parseLogLine('panic: runtime error').message).toBe('panic: runtime error');
  });
});

describe('recognize', () => {
  it('takes the URL from the banner row only', () => {
    const row =
      '2025-08-21T09:07:58Z INF |  https://buffalo-marco-cardiff-motel.trycloudflare.com ' +
      '                                    |';
    expect(recognize(parseLogLine(row))).toEqual([
      { kind: 'url', url: 'https://buffalo-marco-cardiff-motel.trycloudflare.com' },
    ]);
  });
  it('never takes https://api.trycloudflare.com from an error as the URL', () => {
    const line =
      'failed to request quick Tunnel: Post "https://api.trycloudflare.com/tunnel": ' +
      'dial tcp: lookup api.trycloudflare.com on 127.0.0.53:53: no such host';
    expect(kinds(line)).toEqual(['offline']);
  });
  it('finds the metrics address, IPv6 included', () => {
    expect(recognize(parseLogLine('2025-08-21T09:07:58Z INF Starting metrics server on [::1]:20241/metrics'))).toEqual([
      { kind: 'metrics', address: '[::1]:20241' },
    ]);
  });
  it('reads the legacy 2022 registration line', () => {
    const h = recognize(
      parseLogLine(
        '2022-03-01T10:00:00Z INF Connection 0a1b2c3d-0000-4000-8000-000000000001 ' +
          'registered with protocol: quic connIndex=2 ip=198.41.200.13 location=LAX',
      ),
    );
    expect(h).toEqual([
      { kind: 'registered', index: 2, id: '0a1b2c3d-0000-4000-8000-000000000001', location: 'LAX', protocol: 'quic' },
    ]);
  });
  it.each([
    [
      '2025-08-21T09:07:58Z ERR Error unmarshaling QuickTunnel response: error code: ' +
        '1015 error="invalid character \'e\' looking for beginning of value" status_code="429 Too Many Requests"',
      'rate-limited',
    ],
    ['failed to parse quick Tunnel ID: invalid UUID length: 0', 'quick-service-error'],
    [
      '2025-08-21T09:07:58Z ERR Error opening metrics server listener error="failed ' +
        'to bind to address (127.0.0.1:20241): bind: address already in use"',
      'metrics-bind-failed',
    ],
    [
      '2025-08-21T09:07:58Z ERR Register tunnel error from server side ' +
        'error="Unauthorized: Failed to get tunnel" connIndex=0 event=0 ip=1.2.3.4',
      'auth-failed',
    ],
    ['Provided Tunnel token is not valid.', 'auth-failed'],
    ['Incorrect Usage. flag provided but not defined: -bogus', 'usage'],
    ['panic: runtime error: invalid memory address or nil pointer dereference', 'panic'],
    ['2025-08-21T09:07:58Z INF cloudflared has been updated to version 2026.8.2', 'updated'],
    ['2025-08-21T09:07:58Z ERR Couldn\'t start tunnel error="invalid value for edge-ip-version: 5"', 'config-error'],
    ['2025-08-21T09:07:58Z INF Initiating graceful shutdown due to signal terminated ...', 'shutdown'],
  ])('classifies %s', (line, kind) => {
    expect(kinds(line)).toContain(kind);
  });
  it('marks QUIC dial errors as edge trouble', () => {
    expect(
      recognize(
        parseLogLine(
          '2025-08-21T09:07:58Z ERR Failed to dial a quic connection error="failed ' +
            'to dial to edge with quic: timeout" connIndex=0 event=0 ip=1.1.1.1',
        ),
      ),
    ).toEqual([{ kind: 'edge-error', quic: true, message: 'failed to dial to edge with quic: timeout', index: 0 }]);
  });
  it('reads the hostnames of a named tunnel configuration', () => {
    const cfg = JSON.stringify({
      ingress: [{ hostname: 'band.example.com', service: 'http://127.0.0.1:1' }, { service: 'http_status:404' }],
    });
    const line = `2025-08-21T09:07:58Z INF Updated to new configuration config=${JSON.stringify(cfg)} version=3`;
    expect(recognize(parseLogLine(line))).toEqual([{ kind: 'named-config', hostnames: ['band.example.com'] }]);
  });
});

describe('redact', () => {
  it('removes the known token, query tokens, headers and long base64 blobs', () => {
    const token = 'eyJhIjoiMDEyMzQ1Njc4OWFiY2RlZiIsInQiOiI2ZmY0MmFlMiJ9';
    const out = redact(
      `run --token ${token} GET /?token=abc123&x=1 Authorization: ` +
        `Bearer s3cr3t cookie=band_session=xyz ${'A'.repeat(90)} secret=${token}`,
      [token],
    );
    expect(out).not.toContain(token);
    expect(out).not.toContain('abc123');
    expect(out).not.toContain('s3cr3t');
    expect(out).not.toContain('xyz');
    expect(out).not.toContain('A'.repeat(90));
    expect(out).toContain('x=1');
  });
});

describe('LineSplitter', () => {
  it('joins lines split across chunks, even inside a UTF-8 character, and handles CRLF', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    const bytes = Buffer.from('héllo\r\nwörld\npartial');
    for (let i = 0; i < bytes.length; i++) s.push(bytes.subarray(i, i + 1));
    s.end();
    expect(lines).toEqual(['héllo', 'wörld', 'partial']);
  });
  it('cuts overlong lines', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l), 10);
    s.push('x'.repeat(25));
    s.push('\n');
    expect(lines.every((l) => l.length <= 10)).toBe(true);
  });
});
