// tRPC over a real WebSocket for the chats tests: the app router on 127.0.0.1:0 with the chat fixture's services,
// and a tRPC client that reconnects quickly. Everything is closed by the caller's cleanup list.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTRPCClient, createWSClient, type TRPCClient, wsLink } from '@trpc/client';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import WebSocket, { WebSocketServer } from 'ws';
import { createContextInner } from '../src/context.js';
import { type AppRouter, appRouter } from '../src/root.js';
import type { Services } from '../src/create-services.js';
import { preEncodedJsonEncoder } from '../src/internal/pre-encoded.js';
import type { ChatFixture } from './chats-fixtures.js';

export interface ChatsWsServer {
  url: string;
  wss: WebSocketServer;
  /** WebSocket frames the server has sent so far. */
  frames: { count: number };
}

/** Serves `f`'s chats over tRPC WebSocket, with the encoder create-band-api uses. */
export async function serveChats(f: ChatFixture, cleanup: Array<() => unknown>): Promise<ChatsWsServer> {
  const services = { chats: f.chats, events: f.events } as unknown as Services;
  const http: Server = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const frames = { count: 0 };
  wss.on('connection', (socket) => {
    const send = socket.send.bind(socket);
    socket.send = ((...args: Parameters<typeof send>) => {
      frames.count++;
      return send(...args);
    }) as typeof socket.send;
  });
  const handler = applyWSSHandler({
    wss,
    router: appRouter,
    experimental_encoder: preEncodedJsonEncoder,
    createContext: () => createContextInner({ principal: { kind: 'root', listener: 'local' } as never, services }),
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
  cleanup.push(async () => {
    handler.broadcastReconnectNotification();
    for (const client of wss.clients) client.terminate();
    wss.close();
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
  });
  return { url, wss, frames };
}

/** A tRPC client on `url` that retries after 20 ms. */
export function chatsClient(url: string, cleanup: Array<() => unknown>): { trpc: TRPCClient<AppRouter> } {
  const ws = createWSClient({ url, WebSocket: WebSocket as never, retryDelayMs: () => 20 });
  cleanup.push(() => ws.close());
  return { trpc: createTRPCClient<AppRouter>({ links: [wsLink({ client: ws })] }) };
}
