import type { IncomingMessage } from 'node:http';
import type { Principal } from '@band/auth';
import type { Services } from './services/index.js';

/** The tRPC context: who is calling, and the services. Credentials were already checked by the gate. */
export interface Context {
  principal: Principal | undefined;
  services: Services;
}

/** Builds a context without HTTP: tests and `createCaller` use this. */
export function createContextInner(opts: { principal: Principal | undefined; services: Services }): Context {
  return { principal: opts.principal, services: opts.services };
}

/** Builds the context of an HTTP or WebSocket request from the principal the gate recorded for it. */
export function createContextFactory(services: Services, principalOf: (req: IncomingMessage) => Principal | undefined) {
  return ({ req }: { req: IncomingMessage }): Context => createContextInner({ principal: principalOf(req), services });
}
