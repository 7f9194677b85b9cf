import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { approvalsRouter } from './chats/approvals-router.js';
import { changesRouter } from './workspaces/changes-router.js';
import { chatsRouter } from './chats/chats-router.js';
import { authRouter, devicesRouter } from './devices/devices-router.js';
import { filesRouter } from './workspaces/files-router.js';
import { projectsRouter } from './workspaces/projects-router.js';
import { workspacesRouter } from './workspaces/workspaces-router.js';
import { healthRouter } from './health/health-router.js';
import { settingsRouter } from './settings/settings-router.js';
import { terminalsRouter } from './terminals/terminals-router.js';
import { tunnelRouter } from './tunnel/tunnel-router.js';
import { uploadsRouter } from './uploads/uploads-router.js';
import { createCallerFactory, router } from './trpc.js';

// One line per domain router; each lives in <domain>/<name>-router.ts.
export const appRouter = router({
  ...healthRouter,
  settings: router(settingsRouter),
  devices: router(devicesRouter),
  auth: router(authRouter),
  terminals: router(terminalsRouter),
  tunnel: router(tunnelRouter),
  chats: router(chatsRouter),
  approvals: router(approvalsRouter),
  projects: router(projectsRouter),
  workspaces: router(workspacesRouter),
  changes: router(changesRouter),
  files: router(filesRouter),
  uploads: router(uploadsRouter),
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export const createCaller = createCallerFactory(appRouter);
/** The API called in-process, as one principal: what the dashboard's server-rendered pages read with. */
export type BandCaller = ReturnType<typeof createCaller>;
