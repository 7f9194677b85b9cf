import type { IncomingMessage } from 'node:http';
import type { Principal } from '@band/auth';
import type { Services } from './create-services.js';

/**
 * How a call arrived. Subscriptions are served only over the WebSocket (`ws`), where the gate tracks and closes the
 * socket on revocation; `http` calls may not subscribe (DESIGN §3). `direct` is `createCaller` (tests, in-process).
 */
export type Transport = 'http' | 'ws' | 'direct';

/** The tRPC context: who is calling, how, and the services. Credentials were already checked by the gate. */
export interface Context {
  principal: Principal | undefined;
  services: Services;
  /** Absent means `direct`. */
  transport?: Transport;
}

/** Builds a context without HTTP: tests and `createCaller` use this. */
export function createContextInner(opts: {
  principal: Principal | undefined;
  services: Services;
  transport?: Transport;
}): Context {
  return { principal: opts.principal, services: opts.services, transport: opts.transport ?? 'direct' };
}

/** Builds the context of an HTTP or WebSocket request from the principal the gate recorded for it. */
export function createContextFactory(
  services: Services,
  principalOf: (req: IncomingMessage) => Principal | undefined,
  transport: Transport,
) {
  return ({ req }: { req: IncomingMessage }): Context =>
    createContextInner({ principal: principalOf(req), services, transport });
}
