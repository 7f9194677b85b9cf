import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AnyProcedure,
  type AnyRouter,
  getErrorShape,
  getTRPCErrorFromUnknown,
  type ProcedureType,
  TRPCError,
  transformTRPCResponse,
} from '@trpc/server';
import { getHTTPStatusCode } from '@trpc/server/http';

/**
 * The fast path for plain JSON tRPC calls (issue 21). tRPC's Node adapter turns every request into a fetch `Request`
 * (headers, an `AbortSignal`, a body stream), runs `resolveResponse`, and streams the fetch `Response` back: about
 * a hundred promises per call. With Next in the process, Node 20 runs `AsyncLocalStorage` hooks on every promise, so
 * each one costs Band more than it costs a bare tRPC server. This answers the common calls from the Node request
 * itself, with a handful of promises (the procedure's own middleware chain, and one `then` per call).
 *
 * It takes only what it answers exactly as tRPC v11's standalone handler does (`resolveResponse` and
 * `jsonContentTypeHandler`, read from @trpc/server's dist): queries by GET and mutations by POST, single
 * (`/api/trpc/<path>`) or batched (`?batch=1`, `a,b`, input `{"0":…,"1":…}`), a JSON body or `input` query parameter,
 * the router's transformer, error formatter and HTTP statuses (207 for a mixed batch), the `vary` and `allow`
 * headers, `onError` for every failed call. Anything else returns false before reading or writing a byte, and the
 * standard handler serves it: other content types (multipart uploads), `trpc-accept` / `application/jsonl`
 * streaming, subscriptions, connection params, a percent-encoded or unusual path, a batch over the limit or mixing
 * procedure types, lazy routers, methods other than GET and POST. One difference on the wire: the body is sent with
 * a `content-length` instead of chunked. `test/fast-trpc.test.ts` sends the same requests to both.
 */
export interface FastTrpcOptions<TContext> {
  router: AnyRouter;
  /** Like the standard handler's `basePath`, with its slashes: `/api/trpc/`. */
  basePath: string;
  /** Must answer synchronously (the standard handler awaits it; Band's does not return a promise). */
  createContext(opts: { req: IncomingMessage; res: ServerResponse }): TContext;
  maxBodySize: number;
  maxBatchSize: number;
  onError?(opts: {
    error: TRPCError;
    path: string | undefined;
    input: unknown;
    ctx: TContext | undefined;
    type: ProcedureType | 'unknown';
    req: IncomingMessage;
  }): void;
}

/** Answers the request and returns true, or returns false having touched nothing (the caller passes it on). */
export type FastTrpcHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

type CallType = ProcedureType | 'unknown';
type Outcome = { error: TRPCError; data?: undefined } | { error?: undefined; data: unknown };

/** Characters `new URL()` leaves as they are in a path segment: anything else goes to the standard handler. */
const PLAIN_PATH = /^[\w.,-]+$/;
const NOT_PLAIN_URL = /[^\x21-\x7e]|#/;
const ACCEPTED_METHOD: Record<ProcedureType, string> = { query: 'GET', mutation: 'POST', subscription: 'GET' };
const VARY = 'trpc-accept, accept';
/** tRPC's `fallbackErrorShape` (node-http adapter), when an error cannot be formatted. */
const FALLBACK_ERROR_SHAPE = {
  code: -32603,
  message: 'Internal server error',
  data: { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500 },
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  !!value && !Array.isArray(value) && typeof value === 'object';
const isAsyncIterable = (value: unknown): boolean => isObject(value) && Symbol.asyncIterator in value;
const isPromise = (value: unknown): boolean =>
  (isObject(value) || typeof value === 'function') &&
  typeof (value as { then?: unknown }).then === 'function' &&
  typeof (value as { catch?: unknown }).catch === 'function';
/** tRPC's `isDataStream`: such a result needs `httpBatchStreamLink`, and a plain call answers 415. */
function isDataStream(value: unknown): boolean {
  if (!isObject(value)) return false;
  if (isAsyncIterable(value)) return true;
  const values = Object.values(value);
  return values.some(isPromise) || values.some(isAsyncIterable);
}

function streamInPlainCall(): TRPCError {
  return new TRPCError({
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'Cannot use stream-like response in non-streaming request - use httpBatchStreamLink',
  });
}

/** The media type of a `content-type` header as tRPC compares it: lower case, parameters dropped. */
function mediaType(header: string): string {
  return header.toLowerCase().split(';', 1)[0]!.trim();
}

export function createFastTrpcHandler<TContext>(options: FastTrpcOptions<TContext>): FastTrpcHandler {
  const { router, maxBodySize, maxBatchSize, onError } = options;
  const config = router._def._config;
  const procedures = router._def.procedures as Record<string, AnyProcedure | undefined>;
  // A lazy router or another path separator changes how a path names a procedure: leave those to tRPC.
  const enabled = Object.keys(router._def.lazy).length === 0 && (config.pathSeparator ?? '.') === '.';
  const prefix = options.basePath.endsWith('/') ? options.basePath : `${options.basePath}/`;
  const deserialize = (value: unknown) => config.transformer.input.deserialize(value);

  return (req, res) => {
    if (!enabled) return false;
    const method = req.method;
    if (method !== 'GET' && method !== 'POST') return false;
    const url = req.url ?? '';
    // Printable ASCII only: `new URL()` would drop tabs and newlines, re-encode other bytes, cut at `#`.
    if (!url.startsWith(prefix) || NOT_PLAIN_URL.test(url)) return false;
    const queryAt = url.indexOf('?');
    const urlPath = queryAt === -1 ? url.slice(prefix.length) : url.slice(prefix.length, queryAt);
    if (!PLAIN_PATH.test(urlPath) || urlPath === '.' || urlPath === '..') return false;
    const headers = req.headers;
    const contentType = headers['content-type'];
    if (contentType === undefined ? method !== 'GET' : mediaType(contentType) !== 'application/json') return false;
    if (headers['trpc-accept'] !== undefined || headers.accept?.includes('application/jsonl')) return false;
    const query = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
    if (query.has('connectionParams')) return false;
    const isBatch = query.get('batch') === '1';
    const paths = isBatch ? urlPath.split(',') : [urlPath];
    if (isBatch && paths.length > maxBatchSize) return false;
    const procs = paths.map((path) => procedures[path]);
    let type: CallType = 'unknown';
    for (const proc of procs) {
      if (!proc) continue;
      const procType = proc._def.type as ProcedureType;
      if (procType === 'subscription' || (type !== 'unknown' && type !== procType)) return false;
      type = procType;
    }

    // --- taken: from here on this request is ours ---
    let ctx: TContext | undefined;
    let ctxError: TRPCError | undefined;
    try {
      ctx = options.createContext({ req, res });
    } catch (cause) {
      ctxError = getTRPCErrorFromUnknown(cause);
    }
    // The signal tRPC gives a procedure: aborted when the client goes away before the answer.
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableEnded) abort.abort();
    });

    let inputs: Record<number, unknown> | undefined;
    let inputError: TRPCError | undefined;
    let inputRead = false;
    /** tRPC reads the input only when a procedure asks (its input parser), and keeps the first outcome. */
    const decodeInputs = (raw: string | null | undefined, tooLarge: boolean) => {
      try {
        if (tooLarge) throw new TRPCError({ code: 'PAYLOAD_TOO_LARGE' });
        const parsed: unknown = raw ? JSON.parse(raw) : undefined;
        const result: Record<number, unknown> = Object.create(null);
        if (parsed !== undefined && !isBatch) result[0] = deserialize(parsed);
        else if (parsed !== undefined) {
          if (!isObject(parsed))
            throw new TRPCError({
              code: 'BAD_REQUEST',
              message: '"input" needs to be an object when doing a batch call',
            });
          for (const index of paths.keys()) {
            const input = parsed[index];
            if (input !== undefined) result[index] = deserialize(input);
          }
        }
        inputs = result;
      } catch (cause) {
        inputError =
          cause instanceof TRPCError
            ? cause
            : new TRPCError({
                code: 'BAD_REQUEST',
                message: cause instanceof Error ? cause.message : 'Invalid input',
                cause,
              });
      }
    };
    const inputOf = (index: number) => (inputRead ? inputs?.[index] : undefined);

    let allow: string | undefined;
    const outcomes: Outcome[] = new Array(paths.length);
    let pending = paths.length;

    const failed = (index: number, cause: unknown): Outcome => {
      const error = getTRPCErrorFromUnknown(cause);
      onError?.({
        error,
        path: paths[index],
        input: inputOf(index),
        ctx,
        type: (procs[index]?._def.type as ProcedureType | undefined) ?? 'unknown',
        req,
      });
      return { error };
    };
    const settle = (index: number, outcome: Outcome) => {
      outcomes[index] = outcome;
      if (--pending === 0) respond();
    };
    const call = (index: number) => {
      const path = paths[index]!;
      const proc = procs[index];
      try {
        if (!proc) throw new TRPCError({ code: 'NOT_FOUND', message: `No procedure found on path "${path}"` });
        const procType = proc._def.type as ProcedureType;
        if (ACCEPTED_METHOD[procType] !== method) {
          allow = ACCEPTED_METHOD[procType];
          throw new TRPCError({
            code: 'METHOD_NOT_SUPPORTED',
            message: `Unsupported ${method}-request to ${procType} procedure at path "${path}"`,
          });
        }
        if (ctxError) throw ctxError;
        proc({
          path,
          getRawInput: () => {
            inputRead = true;
            return inputError ? Promise.reject(inputError) : Promise.resolve(inputs?.[index]);
          },
          ctx,
          type: procType,
          signal: abort.signal,
          batchIndex: index,
        }).then(
          (data: unknown) => settle(index, { data }),
          (cause: unknown) => settle(index, failed(index, cause)),
        );
      } catch (cause) {
        settle(index, failed(index, cause));
      }
    };

    const write = (status: number, body: string) => {
      // tRPC's writeResponse keeps a status someone set before it, as here.
      if (res.statusCode === 200) res.statusCode = status;
      if (allow !== undefined) res.setHeader('allow', allow);
      res.setHeader('content-type', 'application/json');
      res.setHeader('vary', VARY);
      res.end(body);
    };
    /** resolveResponse's outer catch: a failure of the whole request, reported without a path. */
    const failWhole = (cause: unknown) => {
      const error = getTRPCErrorFromUnknown(cause);
      onError?.({ error, path: undefined, input: undefined, ctx, type, req });
      const json = { error: getErrorShape({ config, error, type, path: undefined, input: undefined, ctx }) };
      write(getHTTPStatusCode(json, [error]), JSON.stringify(transformTRPCResponse(config, json)));
    };
    const shapeOf = (index: number, outcome: Outcome) =>
      outcome.error
        ? {
            error: getErrorShape({
              config,
              ctx,
              error: outcome.error,
              input: inputOf(index),
              path: paths[index],
              type: isBatch ? ((procs[index]?._def.type as ProcedureType | undefined) ?? 'unknown') : type,
            }),
          }
        : { result: { data: outcome.data } };
    function respond() {
      try {
        if (!isBatch) {
          const outcome = outcomes[0]!;
          if (!outcome.error && isDataStream(outcome.data)) throw streamInPlainCall();
          const json = shapeOf(0, outcome);
          const status = getHTTPStatusCode([json] as never, outcome.error ? [outcome.error] : []);
          write(status, JSON.stringify(transformTRPCResponse(config, json as never)));
          return;
        }
        const settled = outcomes.map((outcome): Outcome => {
          if (!outcome.error && isDataStream(outcome.data)) return { error: streamInPlainCall() };
          return outcome;
        });
        const json = settled.map((outcome, index) => shapeOf(index, outcome));
        const status = getHTTPStatusCode(
          json as never,
          settled.map((outcome) => outcome.error),
        );
        write(status, JSON.stringify(transformTRPCResponse(config, json as never)));
      } catch (cause) {
        try {
          failWhole(cause);
        } catch {
          // The error formatter itself failed: tRPC's adapter answers with a shape that says nothing.
          if (!res.headersSent) {
            res.statusCode = 500;
            res.end(JSON.stringify({ error: FALLBACK_ERROR_SHAPE }));
          }
        }
      }
    }
    const start = () => {
      for (let index = 0; index < paths.length; index++) call(index);
    };

    if (method === 'GET') {
      decodeInputs(query.get('input'), false);
      start();
      return true;
    }
    // POST: the body whole, up to the cap, before any call (tRPC reads it when the first input parser asks; the
    // outcome is the same: an oversized or malformed body fails only the calls that read their input).
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodySize) {
        chunks.push(chunk);
        return;
      }
      // Like tRPC: stop listening, leave the rest unread, answer now.
      req.off('data', onData);
      req.off('end', onEnd);
      chunks.length = 0;
      decodeInputs(undefined, true);
      start();
    };
    const onEnd = () => {
      req.off('data', onData);
      // fetch's `text()`: UTF-8, a leading byte order mark dropped.
      let text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      decodeInputs(text, false);
      start();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    return true;
  };
}
