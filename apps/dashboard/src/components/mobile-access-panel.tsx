'use client';
import dynamic from 'next/dynamic';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useState } from 'react';
import { CopyButton } from '@/components/copy-button';
import { Badge } from '@/components/ui/badge';
import { Button, IconButton } from '@/components/ui/button';
import { CloseIcon, EyeIcon, PhoneIcon, TrashIcon } from '@/components/ui/icons';
import { Sheet } from '@/components/ui/sheet';
import { Spinner } from '@/components/ui/spinner';
import { ErrorNote } from '@/components/ui/error-note';
import { useIsRemote } from '@/hooks/use-is-remote';
import { TUNNEL_EXPLAINER, useTunnel } from '@/hooks/use-tunnel';
import { TunnelModeInfo } from '@/components/tunnel-mode-info';
import { cn } from '@/lib/cn';
import type { Device, TunnelStatus } from '@/lib/types';
import { formatRelative } from '@/lib/format';
import { signOut } from '@/lib/sign-out';
import { describeError, useTRPC, useTRPCClient } from '@/lib/trpc';

// The QR encoder loads when a QR code is first shown, not with every page (issue 19: startup work).
const QRCodeSVG = dynamic(() => import('qrcode.react').then((m) => m.QRCodeSVG), {
  ssr: false,
  loading: () => <div className="size-[216px]" />,
});

/** The Mobile Access panel (seed-remote-access.txt): tunnel state, QR, public URL, token, devices, Stop Tunnel. */
export function MobileAccessPanel() {
  const tunnel = useTunnel();
  const isRemote = useIsRemote();
  return (
    <Sheet open={tunnel.isPanelOpen} onClose={tunnel.closePanel} title="Mobile Access" testId="mobile-access-panel">
      <div className="flex items-center justify-between border-b border-border px-4 py-3">
        <div className="flex items-center gap-2">
          <PhoneIcon className="text-accent" />
          <h2 className="text-base font-semibold">Mobile Access</h2>
        </div>
        <IconButton label="Close" onClick={tunnel.closePanel} data-testid="mobile-access-close">
          <CloseIcon />
        </IconButton>
      </div>
      <div className="flex flex-col gap-5 p-4">
        {/* Through the tunnel the phone did not start anything: the sentence is for the computer that does. */}
        {tunnel.isExplained || isRemote ? null : (
          <div
            className="flex items-start gap-3 rounded-md border border-warn/40 bg-warn-soft px-3 py-2.5 text-sm"
            data-testid="tunnel-explainer"
          >
            <p className="flex-1 text-fg">{TUNNEL_EXPLAINER}</p>
            {tunnel.status.state === 'stopped' || tunnel.status.state === 'failed' ? null : (
              <Button size="sm" variant="ghost" onClick={tunnel.markExplained} data-testid="tunnel-explainer-ok">
                Got it
              </Button>
            )}
          </div>
        )}
        <TunnelStateBanner status={tunnel.status} />
        {tunnel.status.state === 'stopped' || tunnel.status.state === 'failed' ? (
          <div className="flex flex-col gap-3">
            <p className="text-sm text-fg-muted">
              {tunnel.status.mode === 'named'
                ? 'Start your named Cloudflare tunnel'
                : 'Start a Cloudflare quick tunnel'}{' '}
              to open this dashboard on your phone. Scan the QR code with the phone's camera: it signs the phone in with
              a one-time code, never with your token.
            </p>
            <Button
              variant="primary"
              onClick={() => {
                // The sentence was on screen above this button: it has been said.
                tunnel.markExplained();
                void tunnel.start();
              }}
              data-testid="mobile-access-start"
            >
              {tunnel.status.state === 'failed' ? 'Try again' : 'Start tunnel'}
            </Button>
          </div>
        ) : null}
        {(tunnel.status.state === 'ready' || tunnel.status.state === 'degraded') && tunnel.status.url ? (
          <>
            <PairingQr key={tunnel.status.url} publicUrl={tunnel.status.url} />
            <section className="flex flex-col gap-2">
              <h3 className="text-xs font-semibold uppercase tracking-wide text-fg-subtle">Public URL</h3>
              <div className="flex items-center gap-2">
                <code
                  data-testid="tunnel-url"
                  className={cn(
                    'min-w-0 flex-1 truncate rounded-md border border-border bg-bg-sunken px-3 py-2 font-mono',
                    'text-sm',
                  )}
                >
                  {tunnel.status.url}
                </code>
                <CopyButton text={tunnel.status.url} testId="tunnel-url-copy" />
              </div>
            </section>
          </>
        ) : null}
        <TunnelModeInfo status={tunnel.status} />
        {isRemote ? (
          <p className="text-sm text-fg-muted" data-testid="token-local-only">
            The access token can only be revealed on the computer running Band.
          </p>
        ) : (
          <RevealToken isTunnelUp={tunnel.status.state !== 'stopped' && tunnel.status.state !== 'failed'} />
        )}
        <DeviceList />
        {tunnel.status.cloudflaredVersion ? (
          <p className="text-xs text-fg-subtle" data-testid="tunnel-cloudflared-version">
            cloudflared {tunnel.status.cloudflaredVersion}
          </p>
        ) : null}
        {isRemote && tunnel.status.state !== 'stopped' && tunnel.status.state !== 'failed' ? (
          <p className="text-xs text-fg-subtle" data-testid="tunnel-stop-remote-note">
            This device is connected through the tunnel: stopping it disconnects this device too.
          </p>
        ) : null}
        {tunnel.status.state !== 'stopped' && tunnel.status.state !== 'failed' ? (
          <Button
            variant="danger"
            onClick={() => void tunnel.stop()}
            disabled={tunnel.status.state === 'stopping'}
            data-testid="tunnel-stop"
          >
            {tunnel.status.state === 'stopping' ? <Spinner /> : null}
            Stop Tunnel
          </Button>
        ) : null}
        {tunnel.actionError && tunnel.status.state !== 'failed' ? <ErrorNote error={tunnel.actionError} /> : null}
      </div>
    </Sheet>
  );
}

const STATE_TEXT: Record<TunnelStatus['state'], string> = {
  stopped: 'Tunnel is off',
  starting: 'Starting tunnel…',
  ready: 'Tunnel is up',
  degraded: 'Connection to Cloudflare is unstable; reconnecting…',
  stopping: 'Stopping tunnel…',
  failed: 'Tunnel failed',
};

export function TunnelStateBanner({ status }: { status: TunnelStatus }) {
  const tone = {
    stopped: 'border-border bg-bg-sunken text-fg-muted',
    starting: 'border-border bg-accent-soft text-fg',
    ready: 'border-ok/40 bg-ok-soft text-ok',
    degraded: 'border-warn/40 bg-warn-soft text-warn',
    stopping: 'border-border bg-bg-sunken text-fg-muted',
    failed: 'border-danger/40 bg-danger-soft text-danger',
  }[status.state];
  return (
    <div
      role="status"
      aria-live="polite"
      data-testid="tunnel-state"
      data-state={status.state}
      className={cn('flex flex-col gap-1 rounded-md border px-3 py-2.5', tone)}
    >
      <div className="flex items-center gap-2 text-sm font-semibold">
        {status.state === 'starting' || status.state === 'stopping' ? <Spinner /> : null}
        {STATE_TEXT[status.state]}
      </div>
      {status.state === 'starting' && status.phase === 'check' ? (
        <p data-testid="tunnel-phase" className="text-sm text-fg-muted">
          Connected. Checking that {status.stableUrl ?? 'your hostname'} reaches Band through Cloudflare.
        </p>
      ) : null}
      {status.state === 'starting' && status.phase === 'dns' ? (
        <p data-testid="tunnel-phase" className="text-sm text-fg-muted">
          Connected. Waiting for the new address to reach DNS, so your phone does not remember it as missing.
        </p>
      ) : null}
      {status.state === 'failed' && status.error ? (
        <div className="flex flex-col gap-1 text-sm text-fg">
          <p data-testid="tunnel-error">{status.error.message}</p>
          {status.error.hint ? (
            <p data-testid="tunnel-error-hint" className="text-fg-muted">
              {status.error.hint}
            </p>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}

/** A one-time pairing code as a QR, re-minted automatically when it expires (auth.md §3.9). */
function PairingQr({ publicUrl }: { publicUrl: string }) {
  const [pairing, setPairing] = useState<{ url: string; expiresAt: number } | null>(null);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  const [now, setNow] = useState(() => Date.now());
  // Seen through the tunnel this is already the phone: the code is for another device.
  const isRemote = useIsRemote();

  const client = useTRPCClient();
  const mint = useCallback(async () => {
    try {
      const code = await client.auth.createPairingCode.mutate({ listener: 'tunnel' });
      setPairing({ url: code.url, expiresAt: code.expiresAt });
      setError(null);
    } catch (e) {
      setError(describeError(e));
    }
  }, [client]);

  useEffect(() => {
    void mint();
  }, [mint]);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);

  const secondsLeft = pairing ? Math.max(0, Math.ceil((pairing.expiresAt - now) / 1_000)) : 0;
  useEffect(() => {
    if (pairing && secondsLeft === 0) void mint();
  }, [pairing, secondsLeft, mint]);

  return (
    <section className="flex flex-col items-center gap-3" data-testid="pairing">
      <div className="rounded-lg bg-white p-3 shadow-panel" data-testid="pairing-qr" data-qr-value={pairing?.url ?? ''}>
        {pairing ? (
          <QRCodeSVG
            value={pairing.url}
            size={216}
            level="M"
            marginSize={2}
            bgColor="#ffffff"
            fgColor="#000000"
            title="Scan to open Band on your phone"
          />
        ) : (
          <div className="flex size-[216px] items-center justify-center">{error ? null : <Spinner size="lg" />}</div>
        )}
      </div>
      {error ? <ErrorNote error={error} /> : null}
      <p className="text-center text-sm text-fg-muted" data-testid="pairing-instructions">
        {isRemote
          ? 'You are already connected through the tunnel. To sign in another device, scan this with its camera'
          : "Scan with your phone's camera"}{' '}
        to open <span className="font-medium text-fg">{new URL(publicUrl).host}</span> signed in.
      </p>
      {pairing ? (
        <div className="flex items-center gap-1 text-xs text-fg-subtle">
          <span data-testid="pairing-countdown">
            One-time code · expires in {Math.floor(secondsLeft / 60)}:{String(secondsLeft % 60).padStart(2, '0')}
          </span>
          <Button size="sm" variant="link" onClick={() => void mint()} data-testid="pairing-renew">
            New code
          </Button>
        </div>
      ) : null}
    </section>
  );
}

function RevealToken({ isTunnelUp }: { isTunnelUp: boolean }) {
  const [token, setToken] = useState<string | null>(null);
  const trpc = useTRPC();
  const reveal = useMutation(trpc.auth.revealToken.mutationOptions({ onSuccess: (result) => setToken(result.token) }));
  // Stopping the tunnel hides the token again: it is not left on screen. (Adjusted while rendering, not in an
  // effect: no frame shows the token after the tunnel went down.)
  if (!isTunnelUp && token !== null) setToken(null);
  return (
    <section className="flex flex-col gap-2">
      <h3 className="text-xs font-semibold uppercase tracking-wide text-fg-subtle">Access token</h3>
      {token ? (
        <p className="text-xs text-warn" data-testid="token-warning">
          Treat it like a password: anyone with it can use this dashboard and run agents on this computer.
        </p>
      ) : null}
      {token ? (
        <div className="flex items-center gap-2">
          <code
            data-testid="token-value"
            className={cn(
              'min-w-0 flex-1 break-all rounded-md border border-border bg-bg-sunken px-3 py-2 font-mono text-xs',
            )}
          >
            {token}
          </code>
          <div className="flex flex-col gap-1">
            <CopyButton text={token} testId="token-copy" />
            <Button size="sm" variant="ghost" onClick={() => setToken(null)} data-testid="token-hide">
              Hide
            </Button>
          </div>
        </div>
      ) : (
        <div className="flex flex-col gap-2">
          <p className="text-sm text-fg-muted">
            For a typed URL (<code className="font-mono">?token=…</code>) or the CLI (
            <code className="font-mono">BAND_TOKEN</code>).
          </p>
          <Button
            size="sm"
            className="self-start"
            data-testid="token-reveal"
            disabled={reveal.isPending}
            onClick={() => reveal.mutate()}
          >
            <EyeIcon /> Reveal token
          </Button>
        </div>
      )}
      {reveal.error ? <ErrorNote error={reveal.error} /> : null}
    </section>
  );
}

function DeviceList() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // A device appears when a phone redeems a pairing code, and no subscription says so: while the panel is open
  // (this list is mounted only then) the list is re-read every 3 s, which is how the new phone shows up.
  const devices = useQuery(trpc.devices.list.queryOptions(undefined, { refetchInterval: 3_000 }));
  // Which device answered the agents' permission prompts (issue 20): each device's last answer. An answer changes
  // the chat's status, and the status subscription invalidates this (AgentStatusProvider).
  const answers = useQuery(trpc.approvals.byDevice.queryOptions());
  const lastAnswer = new Map((answers.data ?? []).map((a) => [a.deviceId, a]));
  const revoke = useMutation(
    trpc.devices.revoke.mutationOptions({
      onSettled: () => queryClient.invalidateQueries(trpc.devices.list.queryFilter()),
    }),
  );
  const list: Device[] = devices.data ?? [];
  return (
    <section className="flex flex-col gap-2" data-testid="device-list">
      <h3 className="text-xs font-semibold uppercase tracking-wide text-fg-subtle">Signed-in devices</h3>
      {devices.status === 'pending' ? <Spinner /> : null}
      {devices.status === 'error' ? <ErrorNote error={devices.error} /> : null}
      {devices.status === 'success' && list.length === 0 ? (
        <p className="text-sm text-fg-subtle">No devices yet.</p>
      ) : null}
      <ul className="flex flex-col divide-y divide-border rounded-md border border-border">
        {list.map((device) => (
          <li
            key={device.id}
            className="flex flex-wrap items-center gap-3 px-3 py-2"
            data-testid="device-row"
            data-listener={device.listener}
            data-current={device.current ? 'true' : undefined}
          >
            <div className="min-w-0 flex-1">
              <p className="flex items-center gap-2 text-sm font-medium">
                <span className="truncate">{device.label}</span>
                {device.current ? (
                  <Badge tone="accent" data-testid="device-current">
                    This device
                  </Badge>
                ) : null}
              </p>
              <p className="truncate text-xs text-fg-subtle">
                {device.listener === 'tunnel' ? 'via tunnel' : 'on the computer running Band'}
                {device.address ? ` · ${device.address}` : ''} · active {formatRelative(device.lastSeenAt)}
              </p>
              {lastAnswer.get(device.id) ? (
                <p className="truncate text-xs text-fg-subtle" data-testid="device-last-answer">
                  {describeAnswer(lastAnswer.get(device.id)!)}{' '}
                  {formatRelative(Date.parse(lastAnswer.get(device.id)!.answeredAt))}
                </p>
              ) : null}
            </div>
            {device.current ? (
              <SignOutThisDevice />
            ) : (
              <IconButton
                label={`Revoke ${device.label}`}
                data-testid="device-revoke"
                disabled={revoke.isPending}
                onClick={() => revoke.mutate({ id: device.id })}
              >
                <TrashIcon />
              </IconButton>
            )}
          </li>
        ))}
      </ul>
      {revoke.error ? <ErrorNote error={revoke.error} /> : null}
    </section>
  );
}

/** Ending this device's own session is a sign-out, asked first: it is never a revoke button beside the others. */
function SignOutThisDevice() {
  const [state, setState] = useState<'idle' | 'confirm' | 'pending' | 'failed'>('idle');
  if (state === 'idle') {
    return (
      <Button size="sm" variant="ghost" onClick={() => setState('confirm')} data-testid="device-sign-out">
        Sign out
      </Button>
    );
  }
  return (
    <div
      role="alert"
      className="flex w-full flex-col gap-2 rounded-md border border-warn/40 bg-bg p-2 text-sm"
      data-testid="device-sign-out-confirm"
    >
      <p>Sign out this device? You sign in again with a one-time link (QR code or band open) or the token.</p>
      {state === 'failed' ? <p className="text-xs text-danger">Could not sign out; try again.</p> : null}
      <div className="flex gap-2">
        <Button
          size="sm"
          variant="danger"
          disabled={state === 'pending'}
          data-testid="device-sign-out-confirm-yes"
          onClick={async () => {
            setState('pending');
            if (!(await signOut())) setState('failed');
          }}
        >
          {state === 'pending' ? <Spinner /> : null} Sign out
        </Button>
        <Button size="sm" variant="ghost" onClick={() => setState('idle')} data-testid="device-sign-out-cancel">
          Cancel
        </Button>
      </div>
    </div>
  );
}

/** "Allowed Bash", "Always allowed Edit", "Denied WebFetch", "Answered AskUserQuestion": a device's last answer. */
function describeAnswer(answer: { toolName: string; behavior: 'allow' | 'deny'; scope: 'once' | 'always' }): string {
  if (answer.behavior === 'deny') return `Denied ${answer.toolName}`;
  if (answer.toolName === 'AskUserQuestion') return 'Answered a question';
  return `${answer.scope === 'always' ? 'Always allowed' : 'Allowed'} ${answer.toolName}`;
}
