// Bare imports resolve from this folder's own node_modules (installed by ../run.mjs), never the workspace's.
export const loadUntun = () => import('untun');
export const loadCloudflared = () => import('cloudflared');
