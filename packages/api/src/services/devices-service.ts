import type { Device, Gate, ListenerKind, PairingCode, Principal } from '@band/auth';
import type { SettingsStore } from '@band/settings';
import { BandApiError } from '../errors.js';

export interface DevicesService {
  list(): Device[];
  revoke(id: string): void;
  /** A one-time sign-in link for a listener (the QR code, `band open`). */
  createPairingCode(listener: ListenerKind): PairingCode;
  /** The permanent token, only to principals on the local listener. */
  revealToken(principal: Principal): { token: string };
}

export function createDevicesService(deps: { gate: Gate; settings: SettingsStore }): DevicesService {
  return {
    list: () => deps.gate.listDevices(),
    revoke(id) {
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
