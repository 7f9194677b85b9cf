// @band/server: the Band server composition (settings -> auth gate -> api -> Next) as a library.

// Starting and stopping
export { startServer, ServerStartError, type ServerStartErrorCode } from './start-server.js';
export type { StartServerOptions, BandServer } from './start-server.js';

// Where the prebuilt dashboard is found
export { resolveDashboardDir } from './dashboard-dir.js';
export type { DashboardDirOptions } from './dashboard-dir.js';
