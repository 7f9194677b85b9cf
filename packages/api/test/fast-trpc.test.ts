// The fast path for plain JSON calls (issue 21) against tRPC's standard handler: the same requests to both, the same
// answers (status, the headers a client reads, the body byte for byte) and the same `onError` reports.
import { createServer, type IncomingMessage, request } from 'node:http';
import { createTRPCClient, httpBatchLink, httpLink } from '@trpc/client';
import type { TRPCError } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Context } from '../src/context.js';
import { BandApiError } from '../src/errors.js';
import { createFastTrpcHandler } from '../src/internal/fast-trpc.js';
import { authedProcedure, publicProcedure, router } from '../src/trpc.js';
import { listenLoopback, rootPrincipal } from './helpers.js';

// Band's own procedure builders (error mapping, the auth check, the error formatter), on a router of every case.
const testRouter = router({
  ping: authedProcedure.query(() => ({ pong: true })),
  whoami: publicProcedure.query(({ ctx }) => ctx.principal?.kind ?? null),
  echo: authedProcedure.input(z.object({ text: z.string() })).query(({ input }) => input),
  optional: authedProcedure.input(z.object({ n: z.number() }).optional()).query(({ input }) => input ?? 'none'),
  later: authedProcedure.query(async () => {
    await new Promise((resolve) => setImmediate(resolve));
    return 'later';
  }),
  nothing: authedProcedure.query(() => undefined),
  missing: authedProcedure.query(() => {
    throw new BandApiError('NOT_FOUND', 'Workspace not found: ws_x', { hint: 'band workspaces list', reason: 'X' });
  }),
  crashed: authedProcedure.query(() => {
    throw new Error('secret internal detail');
  }),
  streamLike: authedProcedure.query(() => ({ later: Promise.resolve(1) })),
  unserializable: authedProcedure.query(() => ({ big: 1n })),
  add: authedProcedure
    .input(z.object({ a: z.number(), b: z.number() }))
    .mutation(async ({ input }) => ({ sum: input.a + input.b })),
  touch: authedProcedure.mutation(() => 'touched'),
  refuse: authedProcedure.mutation(() => {
    throw new BandApiError('CONFLICT', 'Already answered', { reason: 'ALREADY_ANSWERED' });
  }),
  events: authedProcedure.subscription(async function* () {
    yield 1;
  }),
});

const createContext = ({ req }: { req: IncomingMessage }): Context => {
  if (req.headers['x-test-context'] === 'throw') throw new Error('context failed');
  const principal = req.headers['x-test-context'] === 'anonymous' ? undefined : rootPrincipal;
  return { principal, services: {} as never, transport: 'http' };
};

interface Report {
  code: string;
  path: string | undefined;
  type: string;
}
function handlerOptions(reports: Report[]) {
  return {
    router: testRouter,
    basePath: '/api/trpc/',
    createContext,
    maxBodySize: 1024 * 1024,
    maxBatchSize: 10,
    onError: ({ error, path, type }: { error: TRPCError; path: string | undefined; type: string }) => {
      reports.push({ code: error.code, path, type });
    },
  };
}

const standardReports: Report[] = [];
const fastReports: Report[] = [];
/** How the last request to the fast server was answered. */
let lastRoute: 'fast' | 'standard' | undefined;
const standardHandler = createHTTPHandler(handlerOptions(standardReports));
const fastHandler = createFastTrpcHandler(handlerOptions(fastReports));
const fallback = createHTTPHandler(handlerOptions(fastReports));
const standardServer = createServer((req, res) => void standardHandler(req, res));
const fastServer = createServer((req, res) => {
  lastRoute = fastHandler(req, res) ? 'fast' : 'standard';
  if (lastRoute === 'standard') void fallback(req, res);
});
let standard: Awaited<ReturnType<typeof listenLoopback>>;
let fast: Awaited<ReturnType<typeof listenLoopback>>;
beforeAll(async () => {
  standard = await listenLoopback(standardServer);
  fast = await listenLoopback(fastServer);
});
afterAll(async () => {
  await standard.close();
  await fast.close();
});

interface Sent {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}
interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

/** One request on a new connection; the answer once its body has arrived (even if ours was not read whole). */
function send(port: number, sent: Sent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = sent.body === undefined ? undefined : Buffer.from(sent.body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: sent.path,
        method: sent.method ?? 'GET',
        agent: false,
        headers: { ...sent.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const pick = (name: string) => {
            const value = res.headers[name];
            return Array.isArray(value) ? value.join(', ') : value;
          };
          resolve({
            status: res.statusCode ?? 0,
            headers: { 'content-type': pick('content-type'), vary: pick('vary'), allow: pick('allow') },
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const json = { 'content-type': 'application/json' };
const input = (value: unknown) => `input=${encodeURIComponent(JSON.stringify(value))}`;
const big = JSON.stringify({ a: 1, b: 2, pad: 'x'.repeat(1024 * 1024) });

// Every row: the request, and which way the fast server must answer it (the standard handler's rows check that the
// fast path lets them through untouched).
const table: Array<{ name: string; route: 'fast' | 'standard'; status: number } & Sent> = [
  { name: 'query', route: 'fast', status: 200, path: '/api/trpc/ping' },
  { name: 'query with JSON input', route: 'fast', status: 200, path: `/api/trpc/echo?${input({ text: 'hé ✓' })}` },
  { name: 'query, input fails the schema', route: 'fast', status: 400, path: `/api/trpc/echo?${input({ text: 5 })}` },
  { name: 'query, input not JSON', route: 'fast', status: 400, path: '/api/trpc/echo?input=%7Bnope' },
  { name: 'query, input missing', route: 'fast', status: 400, path: '/api/trpc/echo' },
  { name: 'query, optional input missing', route: 'fast', status: 200, path: '/api/trpc/optional' },
  { name: 'query, empty input parameter', route: 'fast', status: 200, path: '/api/trpc/optional?input=' },
  { name: 'async query', route: 'fast', status: 200, path: '/api/trpc/later' },
  { name: 'query returning undefined', route: 'fast', status: 200, path: '/api/trpc/nothing' },
  { name: 'GET with a JSON content type', route: 'fast', status: 200, path: '/api/trpc/ping', headers: json },
  {
    name: 'content type with parameters, any case',
    route: 'fast',
    status: 200,
    method: 'POST',
    path: '/api/trpc/touch',
    headers: { 'content-type': 'Application/JSON; charset=utf-8' },
    body: '',
  },
  { name: 'unknown procedure', route: 'fast', status: 404, path: '/api/trpc/nope' },
  { name: 'comma without batch', route: 'fast', status: 404, path: '/api/trpc/ping,echo' },
  { name: 'BandApiError with hint and reason', route: 'fast', status: 404, path: '/api/trpc/missing' },
  { name: 'crash: internal error, logged', route: 'fast', status: 500, path: '/api/trpc/crashed' },
  { name: 'stream-like result in a plain call', route: 'fast', status: 415, path: '/api/trpc/streamLike' },
  { name: 'result JSON cannot encode', route: 'fast', status: 500, path: '/api/trpc/unserializable' },
  {
    name: 'no principal: the auth check refuses',
    route: 'fast',
    status: 401,
    path: '/api/trpc/ping',
    headers: { 'x-test-context': 'anonymous' },
  },
  {
    name: 'no principal on a public procedure',
    route: 'fast',
    status: 200,
    path: '/api/trpc/whoami',
    headers: { 'x-test-context': 'anonymous' },
  },
  {
    name: 'createContext throws',
    route: 'fast',
    status: 500,
    path: '/api/trpc/ping',
    headers: { 'x-test-context': 'throw' },
  },
  { name: 'mutation by GET', route: 'fast', status: 405, path: '/api/trpc/add' },
  {
    name: 'query by POST',
    route: 'fast',
    status: 405,
    method: 'POST',
    path: '/api/trpc/ping',
    headers: json,
    body: '{}',
  },
  {
    name: 'mutation',
    route: 'fast',
    status: 200,
    method: 'POST',
    path: '/api/trpc/add',
    headers: json,
    body: '{"a":1,"b":2}',
  },
  {
    name: 'mutation, body with a byte order mark',
    route: 'fast',
    status: 200,
    method: 'POST',
    path: '/api/trpc/add',
    headers: json,
    body: '\uFEFF{"a":1,"b":2}',
  },
  {
    name: 'mutation, body not JSON',
    route: 'fast',
    status: 400,
    method: 'POST',
    path: '/api/trpc/add',
    headers: json,
    body: '{"a":',
  },
  {
    name: 'mutation, empty body',
    route: 'fast',
    status: 400,
    method: 'POST',
    path: '/api/trpc/add',
    headers: json,
    body: '',
  },
  {
    name: 'mutation, body over 1 MiB',
    route: 'fast',
    status: 413,
    method: 'POST',
    path: '/api/trpc/add',
    headers: json,
    body: big,
  },
  {
    name: 'mutation without input ignores a bad body',
    route: 'fast',
    status: 200,
    method: 'POST',
    path: '/api/trpc/touch',
    headers: json,
    body: 'not json',
  },
  {
    name: 'mutation without input ignores a body over 1 MiB',
    route: 'fast',
    status: 200,
    method: 'POST',
    path: '/api/trpc/touch',
    headers: json,
    body: big,
  },
  {
    name: 'mutation refused (CONFLICT)',
    route: 'fast',
    status: 409,
    method: 'POST',
    path: '/api/trpc/refuse',
    headers: json,
  },
  {
    name: 'batch of queries',
    route: 'fast',
    status: 200,
    path: `/api/trpc/ping,echo,later,optional?batch=1&${input({ 1: { text: 'a' }, 3: { n: 3 } })}`,
  },
  { name: 'batch of one', route: 'fast', status: 200, path: '/api/trpc/ping?batch=1' },
  { name: 'batch, mixed outcomes: 207', route: 'fast', status: 207, path: '/api/trpc/ping,nope,missing?batch=1' },
  { name: 'batch, one crash', route: 'fast', status: 207, path: '/api/trpc/later,crashed?batch=1' },
  { name: 'batch, all the same error', route: 'fast', status: 404, path: '/api/trpc/nope,missing?batch=1' },
  {
    name: 'batch, input not an object',
    route: 'fast',
    status: 207,
    path: `/api/trpc/echo,ping?batch=1&${input([{ text: 'a' }])}`,
  },
  { name: 'batch, input not JSON', route: 'fast', status: 207, path: '/api/trpc/echo,ping?batch=1&input=x' },
  { name: 'batch, stream-like result', route: 'fast', status: 207, path: '/api/trpc/ping,streamLike?batch=1' },
  {
    name: 'batch of mutations',
    route: 'fast',
    status: 200,
    method: 'POST',
    path: '/api/trpc/add,touch,add?batch=1',
    headers: json,
    body: JSON.stringify({ 0: { a: 1, b: 2 }, 2: { a: 3, b: 4 } }),
  },
  {
    name: 'batch of mutations, one refused',
    route: 'fast',
    status: 207,
    method: 'POST',
    path: '/api/trpc/touch,refuse?batch=1',
    headers: json,
    body: '{}',
  },
  {
    name: 'batch, no principal',
    route: 'fast',
    status: 207,
    path: '/api/trpc/ping,whoami?batch=1',
    headers: { 'x-test-context': 'anonymous' },
  },
  { name: 'batch of ten', route: 'fast', status: 200, path: `/api/trpc/${Array(10).fill('ping').join(',')}?batch=1` },
  // --- everything else: the standard handler, untouched ---
  {
    name: 'batch of eleven',
    route: 'standard',
    status: 400,
    path: `/api/trpc/${Array(11).fill('ping').join(',')}?batch=1`,
  },
  { name: 'batch mixing queries and mutations', route: 'standard', status: 400, path: '/api/trpc/ping,add?batch=1' },
  { name: 'batched subscription', route: 'standard', status: 400, path: '/api/trpc/events?batch=1' },
  {
    name: 'streaming batch (trpc-accept: application/jsonl)',
    route: 'standard',
    status: 200,
    path: '/api/trpc/ping,later?batch=1',
    headers: { 'trpc-accept': 'application/jsonl' },
  },
  {
    name: 'POST without a content type',
    route: 'standard',
    status: 415,
    method: 'POST',
    path: '/api/trpc/add',
    body: '{"a":1,"b":2}',
  },
  {
    name: 'POST as text/plain',
    route: 'standard',
    status: 415,
    method: 'POST',
    path: '/api/trpc/add',
    headers: { 'content-type': 'text/plain' },
    body: '{"a":1,"b":2}',
  },
  {
    name: 'multipart',
    route: 'standard',
    status: 400,
    method: 'POST',
    path: '/api/trpc/add',
    headers: { 'content-type': 'multipart/form-data; boundary=x' },
    body: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
  },
  { name: 'HEAD', route: 'standard', status: 204, method: 'HEAD', path: '/api/trpc/ping' },
  { name: 'PUT', route: 'standard', status: 405, method: 'PUT', path: '/api/trpc/ping', headers: json, body: '{}' },
  { name: 'percent-encoded path', route: 'standard', status: 200, path: '/api/trpc/%70ing' },
  { name: 'malformed escape', route: 'standard', status: 400, path: '/api/trpc/%E0%A4%A' },
  { name: 'trailing slash', route: 'standard', status: 200, path: '/api/trpc/ping/' },
  { name: 'no procedure path', route: 'standard', status: 404, path: '/api/trpc/' },
  { name: 'connection params', route: 'standard', status: 200, path: '/api/trpc/ping?connectionParams=%7B%7D' },
];

describe('fast path for plain JSON calls', () => {
  it.each(table)('$name: the same answer as the standard handler', async ({ name, route, status, ...sent }) => {
    standardReports.length = 0;
    fastReports.length = 0;
    const expected = await send(standard.port, sent);
    const actual = await send(fast.port, sent);
    expect(lastRoute, name).toBe(route);
    expect(actual).toEqual(expected);
    expect(actual.status).toBe(status);
    expect(fastReports).toEqual(standardReports);
  });

  it('reports to onError what the standard handler reports', async () => {
    standardReports.length = 0;
    fastReports.length = 0;
    await send(standard.port, { path: '/api/trpc/later,crashed,nope?batch=1' });
    await send(fast.port, { path: '/api/trpc/later,crashed,nope?batch=1' });
    expect(standardReports).toEqual([
      { code: 'NOT_FOUND', path: 'nope', type: 'unknown' },
      { code: 'INTERNAL_SERVER_ERROR', path: 'crashed', type: 'query' },
    ]);
    expect(fastReports).toEqual(standardReports);
  });

  it('serves a tRPC client, batched and unbatched, without the standard handler', async () => {
    const url = `http://127.0.0.1:${fast.port}/api/trpc`;
    const batched = createTRPCClient<typeof testRouter>({ links: [httpBatchLink({ url })] });
    const [pong, echoed, sum] = await Promise.all([
      batched.ping.query(),
      batched.echo.query({ text: 'hi' }),
      batched.add.mutate({ a: 2, b: 3 }),
    ]);
    expect({ pong, echoed, sum }).toEqual({ pong: { pong: true }, echoed: { text: 'hi' }, sum: { sum: 5 } });
    expect(lastRoute).toBe('fast');
    const single = createTRPCClient<typeof testRouter>({ links: [httpLink({ url })] });
    const error = await single.missing.query().catch((e: unknown) => e);
    expect(error).toMatchObject({
      message: 'Workspace not found: ws_x',
      data: { code: 'NOT_FOUND', httpStatus: 404, hint: 'band workspaces list', reason: 'X' },
    });
    expect(lastRoute).toBe('fast');
  });
});
