'use client';
import type { TunnelStatus } from '@/lib/types';

/**
 * Which tunnel Band runs: a quick tunnel (a new address at each start), or a named one with its stable URL and the
 * origin to enter as the public hostname's service in Cloudflare's dashboard (shown even while stopped), or, for a
 * locally managed one, the DNS route command (Band writes that tunnel's ingress itself).
 */
export function TunnelModeInfo({ status }: { status: TunnelStatus }) {
  return (
    <section className="flex flex-col gap-1.5 text-sm" data-testid="tunnel-mode" data-mode={status.mode}>
      <h3 className="text-xs font-semibold uppercase tracking-wide text-fg-subtle">
        {status.mode === 'named' ? 'Named tunnel' : 'Quick tunnel'}
      </h3>
      {status.mode === 'named' ? (
        <>
          <p className="text-fg-muted">
            Stable URL:{' '}
            <code data-testid="tunnel-stable-url" className="break-all font-mono text-fg">
              {status.stableUrl ?? 'no hostname set (band tunnel setup)'}
            </code>
          </p>
          {status.management === 'local' ? (
            // A tunnel made with `cloudflared tunnel create`: Band writes its ingress; Cloudflare needs only the
            // DNS route.
            <p className="text-fg-muted" data-testid="tunnel-local">
              Band routes this tunnel to itself; Cloudflare only needs its DNS record, made once with{' '}
              <code data-testid="tunnel-route-dns" className="break-all font-mono text-fg">
                {`cloudflared tunnel route dns ${status.tunnelId ?? '<TunnelID>'} ${
                  status.stableUrl ? new URL(status.stableUrl).hostname : '<hostname>'
                }`}
              </code>
              .
            </p>
          ) : (
            <p className="text-fg-muted">
              In Cloudflare, this hostname's service must be{' '}
              <code data-testid="tunnel-origin" className="break-all font-mono text-fg">
                {status.origin}
              </code>
              , which Band listens on while the tunnel runs.
            </p>
          )}
        </>
      ) : (
        <p className="text-fg-muted">
          A new <code className="font-mono">trycloudflare.com</code> address at each start. For a stable address on your
          own domain, run <code className="font-mono">band tunnel setup</code> (see docs/named-tunnel.md).
        </p>
      )}
    </section>
  );
}
