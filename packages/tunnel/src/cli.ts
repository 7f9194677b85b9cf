// `band-tunnel`: expose a local URL through cloudflared and print the public URL on stdout.
import { parseArgs } from 'node:util';
import { createTunnel } from './create-tunnel.js';
import { isTunnelError } from './errors.js';

const USAGE = `Usage: band-tunnel --url <origin> [options]

Expose a local HTTP server through a Cloudflare tunnel. Prints the public URL on stdout once the
tunnel is ready, then keeps it up until Ctrl+C.

Options:
  --url <origin>          origin to forward to, e.g. http://127.0.0.1:3000 (required)
  --hostname <host>       named tunnel: public hostname (token via TUNNEL_TOKEN or --token-file)
  --token-file <file>     named tunnel: file holding the tunnel token
  --binary <path>         cloudflared binary (default: BAND_CLOUDFLARED_PATH, PATH, well-known dirs)
  --protocol <quic|http2> edge transport
  --ready-timeout <ms>    give up when not ready in time (default 45000)
  --verbose               print cloudflared's output on stderr
  -h, --help              show this help

Exit codes: 0 stopped by signal, 1 tunnel error, 2 usage error.`;

async function main(): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: 'string' },
        hostname: { type: 'string' },
        'token-file': { type: 'string' },
        binary: { type: 'string' },
        protocol: { type: 'string' },
        'ready-timeout': { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (typeof values.url !== 'string' || !/^https?:\/\//.test(values.url)) {
    process.stderr.write(`error: --url http://host:port is required\n\n${USAGE}\n`);
    return 2;
  }
  if (values.protocol !== undefined && values.protocol !== 'quic' && values.protocol !== 'http2') {
    process.stderr.write('error: --protocol must be quic or http2\n');
    return 2;
  }
  const abort = new AbortController();
  const tunnel = createTunnel({
    url: values.url,
    mode: values.hostname ? 'named' : 'quick',
    hostname: values.hostname as string | undefined,
    tokenFile: values['token-file'] as string | undefined,
    binaryPath: values.binary as string | undefined,
    protocol: values.protocol as 'quic' | 'http2' | undefined,
    readyTimeoutMs: values['ready-timeout'] ? Number(values['ready-timeout']) : undefined,
    signal: abort.signal,
  });
  if (values.verbose) tunnel.on('log', (line) => process.stderr.write(`${line.raw}\n`));
  tunnel.on('url', (url, previous) => {
    if (url && previous && url !== previous) process.stdout.write(`${url}\n`);
  });
  tunnel.on('degraded', (reason) => process.stderr.write(`tunnel degraded: ${reason}\n`));
  tunnel.on('recovered', () => process.stderr.write('tunnel recovered\n'));
  const stopped = new Promise<number>((resolve) => {
    const onSignal = () => {
      process.stderr.write('stopping tunnel...\n');
      void tunnel.stop().then(() => resolve(0));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    tunnel.on('state', (s) => {
      if (s.s === 'failed') {
        process.stderr.write(`error: ${s.error.message}\n${s.error.hint ? `hint: ${s.error.hint}\n` : ''}`);
        resolve(1);
      }
    });
  });
  try {
    const { url } = await tunnel.start();
    process.stdout.write(`${url}\n`);
  } catch (error) {
    if (isTunnelError(error)) {
      process.stderr.write(`error: ${error.message}\n`);
      if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
      if (error.stderrTail.length) process.stderr.write(`cloudflared output:\n  ${error.stderrTail.join('\n  ')}\n`);
    } else process.stderr.write(`error: ${String(error)}\n`);
    await tunnel.stop();
    return 1;
  }
  return stopped;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(
      `unexpected error: ${String(error)}\nPlease report this at https://github.com/band/band/issues\n`,
    );
    process.exitCode = 1;
  },
);
