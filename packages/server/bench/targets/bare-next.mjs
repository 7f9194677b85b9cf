// Baseline 2: a bare Next custom server (node:http + next()) serving the same prebuilt dashboard Band ships, with
// no gate and no API: what starting and holding the dashboard costs by itself (issue 21).
//   node bare-next.mjs <dashboardDir>   → prints "listening at http://127.0.0.1:<port>"
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = process.argv[2];
const entry = createRequire(join(dir, 'package.json')).resolve('next');
const mod = await import(pathToFileURL(entry).href);
const next = mod.default.default ?? mod.default;
// The standalone build carries its config in required-server-files.json, the way Next's own server.js loads it.
const { config } = JSON.parse(readFileSync(join(dir, '.next', 'required-server-files.json'), 'utf8'));
process.env.__NEXT_PRIVATE_STANDALONE_CONFIG ??= JSON.stringify(config);
const server = createServer();
const app = next({
  dev: false,
  dir,
  conf: { ...config, output: undefined },
  hostname: 'localhost',
  port: 0,
  httpServer: server,
});
await app.prepare();
const handle = app.getRequestHandler();
server.on('request', (req, res) => void handle(req, res));
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening at http://127.0.0.1:${server.address().port}\n`));
process.once('SIGTERM', () => {
  server.close();
  void app.close().then(() => process.exit(0));
});
