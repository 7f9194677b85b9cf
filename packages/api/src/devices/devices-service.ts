import type { Device, Gate, ListenerKind, PairingCode, Principal } from '@band/auth';
import type { SettingsStore } from '@band/settings';
import { BandApiError } from '../errors.js';

/** A signed-in device; `current` marks the session that asked (the browser looking at the list). */
export type ListedDevice = Device & { current: boolean };

export interface DevicesService {
  list(principal?: Principal): ListedDevice[];
  /** Ends a device's session. A browser cannot revoke its own session: it signs out (`POST /auth/logout`). */
  revoke(id: string, principal?: Principal): void;
  /** A one-time sign-in link for a listener (the QR code, `band open`). */
  createPairingCode(listener: ListenerKind): PairingCode;
  /** The permanent token, only to principals on the local listener. */
  revealToken(principal: Principal): { token: string };
}

export function createDevicesService(deps: { gate: Gate; settings: SettingsStore }): DevicesService {
  return {
    list: (principal) =>
      deps.gate.listDevices().map((device) => ({ ...device, current: device.id === principal?.sessionId })),
    revoke(id, principal) {
      if (principal?.sessionId === id) {
        throw new BandApiError('CONFLICT', 'This is the device you are using: revoking it would sign you out', {
          reason: 'CURRENT_DEVICE',
          hint: 'Use Sign out (Settings, or this device in the Mobile Access list) to end this session on purpose.',
        });
      }
      if (!deps.gate.revokeDevice(id)) throw new BandApiError('NOT_FOUND', `Device not found: ${id}`);
    },
    createPairingCode: (listener) => deps.gate.createPairingCode(listener),
    revealToken(principal) {
      // Through the tunnel, a stolen session must not be able to escalate to the permanent root token.
      if (principal.listener !== 'local') {
        throw new BandApiError('FORBIDDEN', 'The token can only be revealed on this machine', {
          hint: 'Open the dashboard on the computer running Band, or read tokenSecret from settings.json there.',
        });
      }
      return { token: deps.settings.get().tokenSecret };
    },
  };
}
