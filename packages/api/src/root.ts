import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { changesRouter } from './routers/changes.js';
import { chatsRouter } from './routers/chats.js';
import { authRouter, devicesRouter } from './routers/devices.js';
import { filesRouter } from './routers/files.js';
import { projectsRouter } from './routers/projects.js';
import { workspacesRouter } from './routers/workspaces.js';
import { healthRouter } from './routers/health.js';
import { settingsRouter } from './routers/settings.js';
import { terminalsRouter } from './routers/terminals.js';
import { tunnelRouter } from './routers/tunnel.js';
import { createCallerFactory, router } from './trpc.js';

// One line per domain router; each lives in routers/<domain>.ts.
export const appRouter = router({
  ...healthRouter,
  settings: router(settingsRouter),
  devices: router(devicesRouter),
  auth: router(authRouter),
  terminals: router(terminalsRouter),
  tunnel: router(tunnelRouter),
  chats: router(chatsRouter),
  projects: router(projectsRouter),
  workspaces: router(workspacesRouter),
  changes: router(changesRouter),
  files: router(filesRouter),
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export const createCaller = createCallerFactory(appRouter);
