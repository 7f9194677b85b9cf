import { describe, expect, it } from 'vitest';
import {
  allowedHosts,
  classifyRoute,
  decideBearerCrossOrigin,
  decideCookieCrossOrigin,
  decideUpgradeOrigin,
  isAllowedHost,
  isAllowedUpgradePath,
  isJsonContentType,
  isNavigation,
  isUntrustedHeader,
  locationWithoutToken,
  loggablePath,
  parseBearer,
  parseQueryToken,
  summarizeUserAgent,
  wantsHtml,
} from './policy.js';

const TOK = 'a'.repeat(64);
const local = allowedHosts('local', 3456, null);

describe('isAllowedHost (F1-F6, F10)', () => {
  it.each([
    ['localhost:3456', true],
    ['127.0.0.1:3456', true],
    ['[::1]:3456', true],
    ['LOCALHOST:3456', true],
    ['evil.example:3456', false],
    ['0.0.0.0:3456', false],
    ['192.168.1.20:3456', false],
    ['127.0.0.2:3456', false],
    ['[::ffff:127.0.0.1]:3456', false],
    ['localhost.:3456', false],
    ['localhost', false],
    ['localhost:34567', false],
    ['localhost:345', false],
    ['sub.localhost:3456', false],
    ['abc-def.trycloudflare.com', false],
    ['', false],
    [undefined, false],
  ])('local %j → %s', (host, ok) => {
    expect(isAllowedHost(host as string | undefined, local)).toBe(ok);
  });

  it.each([
    ['abc-def.trycloudflare.com', 'abc-def.trycloudflare.com', true],
    ['ABC-DEF.trycloudflare.com', 'abc-def.trycloudflare.com', true],
    ['old-tunnel.trycloudflare.com', 'abc-def.trycloudflare.com', false],
    ['localhost:3456', 'abc-def.trycloudflare.com', false],
    ['abc-def.trycloudflare.com:443', 'abc-def.trycloudflare.com', false],
    ['abc-def.trycloudflare.com', null, false],
  ])('tunnel %j with current %j → %s', (host, current, ok) => {
    expect(isAllowedHost(host, allowedHosts('tunnel', 3456, current))).toBe(ok);
  });
});

describe('parseBearer (A3, A5-A8)', () => {
  it.each([
    [undefined, 'absent'],
    [`Bearer ${TOK}`, 'token'],
    [`bearer ${TOK}`, 'token'],
    [`BEARER ${TOK}`, 'token'],
    [`Bearer  ${TOK}`, 'malformed'],
    [`Token ${TOK}`, 'malformed'],
    [`Basic ${Buffer.from(`u:${TOK}`).toString('base64')}`, 'malformed'],
    [`Bearer ${TOK.toUpperCase()}`, 'malformed'],
    [`Bearer ${TOK} `, 'malformed'],
    [`Bearer ${TOK}\t`, 'malformed'],
    [`Bearer ${TOK.slice(1)}`, 'malformed'],
    [`Bearer ${TOK}a`, 'malformed'],
    ['Bearer ', 'malformed'],
    ['', 'malformed'],
    [`Bearer ${'x'.repeat(10_000)}`, 'malformed'],
    ['Bearer ÿþ€', 'malformed'],
  ])('%j → %s', (header, kind) => {
    expect(parseBearer(header).kind).toBe(kind);
  });
});

describe('locationWithoutToken (B1-B3)', () => {
  it.each([
    [`/?token=${TOK}`, '/'],
    [`/workspace/42?tab=chat&token=${TOK}`, '/workspace/42?tab=chat'],
    [`/workspace/42?token=${TOK}&tab=chat`, '/workspace/42?tab=chat'],
    [`//evil.example/?token=${TOK}`, '/evil.example/'],
    [`/\\evil.example?token=${TOK}`, '/evil.example'],
    [`/%2F%2Fevil.example?token=${TOK}`, '/%2F%2Fevil.example'],
    [`///\\\\evil?token=${TOK}`, '/evil'],
    [`/a\\b?token=${TOK}`, '/a%5Cb'],
    [`/?token[]=${TOK}`, '/'],
    ['/x?token=a&token=b&y=1', '/x?y=1'],
  ])('%s → %s', (target, location) => {
    const out = locationWithoutToken(target);
    expect(out).toBe(location);
    expect(out).not.toContain(TOK);
    expect(out.startsWith('/')).toBe(true);
    expect(out.startsWith('//')).toBe(false);
    expect(out.startsWith('/\\')).toBe(false);
  });
});

describe('parseQueryToken (B5)', () => {
  it.each([
    ['', 'absent'],
    ['tab=1', 'absent'],
    [`token=${TOK}`, 'token'],
    [`token=${TOK}&token=other`, 'ambiguous'],
    [`token[]=${TOK}`, 'ambiguous'],
    [`token=${TOK}&token[]=x`, 'ambiguous'],
  ])('%j → %s', (query, kind) => {
    expect(parseQueryToken(query).kind).toBe(kind);
  });
});

describe('isNavigation / wantsHtml (A10, B6)', () => {
  it.each([
    [{ method: 'GET', path: '/', secFetchDest: 'document' }, true],
    [{ method: 'GET', path: '/' }, true],
    [{ method: 'GET', path: '/', secFetchMode: 'navigate' }, true],
    [{ method: 'GET', path: '/', secFetchDest: 'image' }, false],
    [{ method: 'GET', path: '/', secFetchDest: 'empty', secFetchMode: 'cors' }, false],
    [{ method: 'GET', path: '/', secFetchMode: 'no-cors' }, false],
    [{ method: 'POST', path: '/', secFetchDest: 'document' }, false],
    [{ method: 'GET', path: '/api/trpc/x', secFetchDest: 'document' }, false],
  ])('%j → %s', (m, nav) => {
    expect(isNavigation(m)).toBe(nav);
  });

  it('API calls get JSON, page navigations get the sign-in page', () => {
    expect(wantsHtml({ method: 'GET', path: '/api/trpc/x', accept: 'text/html' })).toBe(false);
    expect(wantsHtml({ method: 'GET', path: '/', accept: 'application/json' })).toBe(false);
    expect(wantsHtml({ method: 'GET', path: '/', accept: 'text/html,*/*' })).toBe(true);
    expect(wantsHtml({ method: 'GET', path: '/' })).toBe(true);
  });
});

describe('decideCookieCrossOrigin (D1-D8)', () => {
  const expected = 'http://localhost:3456';
  it.each([
    ['POST api same-origin', { method: 'POST', route: 'api', origin: expected, secFetchSite: 'same-origin' }, true],
    ['POST api origin only', { method: 'POST', route: 'api', origin: expected }, true],
    ['POST api fetch-site only', { method: 'POST', route: 'api', secFetchSite: 'same-origin' }, true],
    [
      'POST evil origin',
      { method: 'POST', route: 'api', origin: 'https://evil.example', secFetchSite: 'cross-site' },
      false,
    ],
    [
      'POST same-site port',
      { method: 'POST', route: 'api', origin: 'http://localhost:5173', secFetchSite: 'same-site' },
      false,
    ],
    ['POST no metadata', { method: 'POST', route: 'api' }, false],
    ['POST origin null', { method: 'POST', route: 'api', origin: 'null' }, false],
    ['POST suffix origin', { method: 'POST', route: 'api', origin: 'http://localhost:3456.evil.example' }, false],
    ['POST uppercase origin', { method: 'POST', route: 'api', origin: 'http://LOCALHOST:3456' }, true],
    ['POST longer port', { method: 'POST', route: 'api', origin: 'http://localhost:34567' }, false],
    ['POST trailing slash', { method: 'POST', route: 'api', origin: 'http://localhost:3456/' }, false],
    ['POST https scheme', { method: 'POST', route: 'api', origin: 'https://localhost:3456' }, false],
    ['POST page', { method: 'POST', route: 'page', secFetchSite: 'cross-site' }, false],
    ['GET api cross-site', { method: 'GET', route: 'api', secFetchSite: 'cross-site' }, false],
    ['GET api same-site', { method: 'GET', route: 'api', secFetchSite: 'same-site' }, false],
    ['GET api same-origin', { method: 'GET', route: 'api', secFetchSite: 'same-origin' }, true],
    ['GET api no metadata', { method: 'GET', route: 'api' }, false],
    ['GET page cross-site nav', { method: 'GET', route: 'page', secFetchSite: 'cross-site' }, true],
    ['GET static', { method: 'GET', route: 'static' }, true],
  ] as const)('%s', (_name, input, ok) => {
    expect(decideCookieCrossOrigin({ ...input, expected }).ok).toBe(ok);
  });

  it('bearer: absent Origin passes (CLI), foreign Origin is refused (A12)', () => {
    expect(decideBearerCrossOrigin(undefined, 'http://localhost:3456').ok).toBe(true);
    expect(decideBearerCrossOrigin('http://localhost:3456', 'http://localhost:3456').ok).toBe(true);
    expect(decideBearerCrossOrigin('https://evil.example', 'http://localhost:3456').ok).toBe(false);
  });

  it.each([
    ['cookie', undefined, undefined, false],
    ['cookie', 'http://localhost:3456', undefined, true],
    ['cookie', 'http://localhost:3456', 'same-origin', true],
    ['cookie', 'http://localhost:5173', 'same-site', false],
    ['cookie', 'https://evil.example', undefined, false],
    ['bearer', undefined, undefined, true],
    ['bearer', 'https://evil.example', undefined, false],
    ['bearer', 'http://localhost:3456', undefined, true],
  ] as const)('upgrade %s origin=%j site=%j → %s (E1-E5)', (cred, origin, site, ok) => {
    expect(decideUpgradeOrigin(cred, origin, site, 'http://localhost:3456').ok).toBe(ok);
  });
});

describe('isAllowedUpgradePath (E6)', () => {
  it.each([
    ['/api/trpc-ws', false, true],
    ['/api/terminals/t_abc123', false, true],
    ['/api/lsp/ws_1/typescript', false, true],
    ['/api/terminals/', false, false],
    ['/api/terminals/a/b', false, false],
    ['/api/trpc/../../x', false, false],
    ['/api/terminals/..', false, false],
    ['/_next/webpack-hmr', false, false],
    ['/_next/hmr', false, false],
    ['/_next/hmr', true, true],
    ['/foo', true, false],
    ['/', false, false],
    ['/API/TRPC-WS', false, false],
  ])('%s (dev=%s) → %s', (path, dev, ok) => {
    expect(isAllowedUpgradePath(path, dev)).toBe(ok);
  });
});

describe('misc decisions', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['Application/JSON', true],
    ['text/plain', false],
    ['multipart/form-data; boundary=x', false],
    ['application/x-www-form-urlencoded', false],
    ['application/jsonp', false],
    [undefined, false],
  ])('isJsonContentType(%j) → %s', (value, ok) => expect(isJsonContentType(value)).toBe(ok));

  it.each([
    ['x-middleware-subrequest', 'local', true],
    ['x-forwarded-for', 'local', true],
    ['x-forwarded-host', 'tunnel', true],
    ['forwarded', 'local', true],
    ['cf-connecting-ip', 'local', true],
    ['cf-connecting-ip', 'tunnel', false],
    ['cf-visitor', 'tunnel', true],
    ['x-nonce', 'local', true],
    ['content-security-policy', 'local', true],
    ['cookie', 'local', false],
    ['origin', 'tunnel', false],
  ] as const)('isUntrustedHeader(%s, %s) → %s (K1, F7)', (name, listener, strip) => {
    expect(isUntrustedHeader(name, listener)).toBe(strip);
  });

  it.each([
    ['/api/trpc/x', 'api'],
    ['/auth/login', 'auth-endpoint'],
    ['/pair', 'pair-page'],
    ['/_next/static/chunks/app.js', 'static'],
    ['/workspace/42', 'page'],
  ])('classifyRoute(%s) → %s', (path, route) => expect(classifyRoute(path)).toBe(route));

  it('loggablePath drops the query, control characters and long hex runs (H1)', () => {
    expect(loggablePath(`/x?token=${TOK}`)).toBe('/x');
    expect(loggablePath(`/${TOK}/y`)).toBe('/[hex]/y');
    expect(loggablePath('/a\u0000b')).toBe('/a?b');
    expect(loggablePath(`/${'p'.repeat(500)}`).length).toBeLessThan(210);
  });

  it.each([
    ['Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36', 'Chrome on Android'],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit Version/17.0 Mobile Safari/604.1',
      'Safari on iOS',
    ],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0', 'Firefox on Linux'],
    ['curl/8.0', 'curl'],
    [undefined, 'Unknown device'],
  ])('summarizeUserAgent → %s', (ua, label) => expect(summarizeUserAgent(ua)).toBe(label));
});
