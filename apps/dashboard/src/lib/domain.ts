// Shapes the dashboard renders. Tunnel, devices and settings come straight from @band/api's router types;
// the workspace domain mirrors @band/store's records (the API returns them as stored).
import type { RouterOutputs } from '@band/api';

export type TunnelStatus = RouterOutputs['tunnel']['status'];
export type TunnelState = TunnelStatus['state'];
export type Device = RouterOutputs['devices']['list'][number];
export type BandSettings = RouterOutputs['settings']['get'];
