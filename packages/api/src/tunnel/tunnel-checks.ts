// What Band checks itself around a tunnel start, so that a mistake in Cloudflare is named with its fix instead of
// showing as a tunnel that is up but unreachable: the error those checks throw, and the hostname check of a named
// tunnel (a signed hello through Cloudflare's edge).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { computeHelloProof } from '@band/auth';
import { BandError } from '@band/internal';

/** A failure of a tunnel start that Band itself detected, with the fix. */
export type TunnelCheckErrorCode = 'ORIGIN_PORT_IN_USE' | 'HOSTNAME_NOT_ROUTED' | 'NAMED_TUNNEL_INCOMPLETE';

export class TunnelCheckError extends BandError<TunnelCheckErrorCode, { hint: string }> {
  override readonly name = 'TunnelCheckError';
  declare readonly hint: string;
}

/**
 * Checks that a named tunnel's public URL reaches this server's tunnel listener: `GET <url>/auth/hello?n=<nonce>`
 * through Cloudflare must come back with the proof for that hostname and for the listener's own address. Anything
 * else means the hostname is routed elsewhere (a wrong service in Cloudflare's dashboard, another tunnel, no DNS
 * record), and the error says which. Bounded: `BAND_TUNNEL_CHECK_TIMEOUT_MS` (default 20 s) in all.
 *
 * `BAND_TUNNEL_CONNECT_TO=<host>:<port>` connects there instead of resolving the hostname (like curl's
 * `--connect-to`; TLS is still verified for the hostname, trusting `NODE_EXTRA_CA_CERTS` too): for a test edge.
 */
export async function checkHostname(
  url: string,
  origin: string,
  tokenSecret: string,
  env: NodeJS.ProcessEnv,
  tunnel: { management?: 'local' | 'remote'; tunnelId?: string } = {},
): Promise<void> {
  const { host, hostname } = new URL(url);
  const local = new URL(origin).host;
  const port = new URL(origin).port;
  const timeoutMs = Number(env.BAND_TUNNEL_CHECK_TIMEOUT_MS) || 20_000;
  const deadline = Date.now() + timeoutMs;
  const service = `http://127.0.0.1:${port}`;
  // A locally managed tunnel's ingress is Band's own: what can be wrong is the DNS route, or another connector.
  const routeDns = `cloudflared tunnel route dns ${tunnel.tunnelId ?? '<TunnelID>'} ${hostname}`;
  const isLocal = tunnel.management === 'local';
  const fix = isLocal
    ? `Route ${hostname} to this tunnel: \`${routeDns}\` (add --overwrite-dns if the record exists). See ` +
      `docs/named-tunnel.md.`
    : `In Cloudflare's dashboard (Zero Trust > Networks > Tunnels > your tunnel > Public Hostname), route ` +
      `${hostname} to the service ${service}. See docs/named-tunnel.md.`;
  const otherConnector =
    `Another cloudflared runs this tunnel with its own ingress (a cloudflared service ` +
    `with ~/.cloudflared/config.yml, another Band): stop it, or give this Band a tunnel of its own. ${fix}`;
  let last: TunnelCheckError | undefined;
  for (let attempt = 0; ; attempt++) {
    const nonce = randomBytes(32).toString('hex');
    const answer = await probe(url, nonce, env, Math.max(1_000, Math.min(5_000, deadline - Date.now())));
    if (answer.kind === 'response' && answer.status === 200) {
      const body = answer.body as { proof?: unknown; address?: unknown } | undefined;
      if (body && typeof body.proof === 'string' && body.proof === computeHelloProof(tokenSecret, nonce, host, local))
        return;
      const address = body && typeof body.address === 'string' ? body.address : 'another address';
      // A Band answered, but not on this tunnel's origin (another Band, or this one's local listener).
      throw new TunnelCheckError(
        'HOSTNAME_NOT_ROUTED',
        `${url} reaches a Band server at ${address}, not this tunnel's origin ${service}`,
        { hint: isLocal ? otherConnector : fix },
      );
    }
    if (answer.kind === 'response' && ![502, 503, 504, 530].includes(answer.status)) {
      // Something other than Band's tunnel listener answered: definitive.
      throw new TunnelCheckError(
        'HOSTNAME_NOT_ROUTED',
        answer.status === 404 && isLocal
          ? `${url} answered 404: the connector that took the request has no ingress rule for ${hostname} ` +
              `(Band's own rule routes it to ${service})`
          : answer.status === 404
            ? `${url} answered 404: the tunnel has no public hostname ${hostname}, or its service is not ` +
              `Band's tunnel origin ${service}`
            : answer.status === 403 && /Host/i.test(answer.text)
              ? `${url} reaches Band's local listener, which refuses that host (HTTP 403): the service in ` +
                `Cloudflare must be the tunnel origin ${service}, not Band's local address`
              : `${url} answered HTTP ${answer.status}, not Band's tunnel origin ${service}`,
        { hint: isLocal && answer.status === 404 ? otherConnector : fix },
      );
    }
    last =
      answer.kind === 'error'
        ? new TunnelCheckError('HOSTNAME_NOT_ROUTED', `${url} could not be reached (${answer.message})`, {
            hint: isLocal
              ? `Check that ${hostname} has a DNS record for this tunnel: \`${routeDns}\` creates it. See ` +
                `docs/named-tunnel.md.`
              : `Check that ${hostname} has a DNS record for this tunnel: adding the public hostname in ` +
                `Cloudflare's dashboard creates it. ${fix}`,
          })
        : answer.status === 530
          ? new TunnelCheckError(
              'HOSTNAME_NOT_ROUTED',
              `${url} answered 530 (Cloudflare error 1033): ${hostname} is not routed to this running tunnel`,
              {
                hint: isLocal
                  ? `Its DNS record points at another tunnel (or at none that runs). ${fix}`
                  : `The public hostname must belong to the tunnel whose token is in tunnel.tokenFile. ${fix}`,
              },
            )
          : new TunnelCheckError(
              'HOSTNAME_NOT_ROUTED',
              `${url} answered HTTP ${answer.status}: cloudflared could not reach the service configured for ` +
                `${hostname} in Cloudflare`,
              { hint: fix },
            );
    if (Date.now() + 250 >= deadline) throw last;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(250 * 2 ** Math.min(attempt, 3), deadline - Date.now())),
    );
  }
}

type ProbeAnswer =
  | { kind: 'response'; status: number; body: unknown; text: string }
  | { kind: 'error'; message: string };

function probe(url: string, nonce: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ProbeAnswer> {
  const target = new URL(`/auth/hello?n=${nonce}`, url);
  const connectTo = env.BAND_TUNNEL_CONNECT_TO ? /^(.+):(\d+)$/.exec(env.BAND_TUNNEL_CONNECT_TO) : null;
  let ca: string[] | undefined;
  if (env.NODE_EXTRA_CA_CERTS) {
    try {
      ca = [...rootCertificates, readFileSync(env.NODE_EXTRA_CA_CERTS, 'utf8')];
    } catch {}
  }
  return new Promise((resolve) => {
    const req = httpsRequest(
      {
        host: connectTo ? connectTo[1]!.replace(/^\[|\]$/g, '') : target.hostname,
        port: connectTo ? Number(connectTo[2]) : Number(target.port || 443),
        servername: target.hostname,
        path: `${target.pathname}${target.search}`,
        method: 'GET',
        headers: { host: target.host, accept: 'application/json' },
        ca,
        timeout: timeoutMs,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < 64 * 1024) text += chunk;
        });
        res.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {}
          resolve({ kind: 'response', status: res.statusCode ?? 0, body, text });
        });
        res.on('error', (error) => resolve({ kind: 'error', message: error.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) =>
      resolve({ kind: 'error', message: (error as NodeJS.ErrnoException).code ?? error.message }),
    );
    req.end();
  });
}
