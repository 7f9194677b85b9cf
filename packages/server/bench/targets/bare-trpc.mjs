// Baseline 1: Band's own router and services behind tRPC's standalone adapter, and nothing else: no gate, no Next,
// no request log. What Band adds on top of this is the server's overhead (issue 21).
//   BAND_HOME=<dir> node bare-trpc.mjs   → prints "listening at http://127.0.0.1:<port>"
import { createBandApi } from '@band/api';
import { createGate } from '@band/auth';
import { loadSettings, resolveBandHome } from '@band/settings';
import { createHTTPServer } from '@trpc/server/adapters/standalone';

const quiet = { debug() {}, info() {}, warn() {}, error: (m) => process.stderr.write(`${m}\n`) };
const home = resolveBandHome(process.env);
const settings = await loadSettings({ home, logger: quiet });
// createBandApi needs a gate for its WebSocket bookkeeping; no request ever goes through it here.
const gate = createGate({ settings, home, localPort: 0, logger: quiet });
const api = await createBandApi({ home, settings, gate, logger: quiet });
const principal = { kind: 'root', listener: 'local' };
const server = createHTTPServer({
  router: api.router,
  basePath: '/api/trpc/',
  createContext: () => ({ principal, services: api.services, transport: 'http' }),
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening at http://127.0.0.1:${server.address().port}\n`));
process.once('SIGTERM', () => {
  server.close();
  void api.close().then(() => process.exit(0));
});
