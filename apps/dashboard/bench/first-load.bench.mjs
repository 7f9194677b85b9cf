// First-load JavaScript per route, gzip-compressed, read from the production build (.next manifests):
// the root chunks every page loads plus the route's own entry chunks (layout + page). The desktop figure adds
// the chunks that load when the Terminal pane opens (xterm.js), which a phone never loads.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const next = fileURLToPath(new URL('../.next/', import.meta.url));

function gzipKb(files) {
  let bytes = 0;
  for (const file of new Set(files)) bytes += gzipSync(readFileSync(`${next}${file}`), { level: 9 }).length;
  return Math.round((bytes / 1024) * 10) / 10;
}

function routeFiles(route) {
  const dir = `${next}server/app${route}/`;
  const build = JSON.parse(readFileSync(`${dir}page/build-manifest.json`, 'utf8'));
  const rsc = readFileSync(`${dir}page_client-reference-manifest.js`, 'utf8');
  const entries = JSON.parse(/"entryJSFiles":(\{[^}]*\})/.exec(rsc)[1]);
  const own = Object.entries(entries)
    .filter(([key]) => key.endsWith('/src/app/layout') || key.endsWith(`/src/app${route}/page`))
    .flatMap(([, files]) => files);
  return [...build.rootMainFiles, ...own];
}

function lazyFiles(route) {
  const file = `${next}server/app${route}/page/react-loadable-manifest.json`;
  if (!existsSync(file)) return [];
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  const direct = Object.values(manifest).flatMap((m) => m.files.filter((f) => f.endsWith('.js')));
  // The loadable chunk imports xterm's own chunk at run time; find it by content.
  const xterm = readdirSync(`${next}static/chunks`)
    .filter((f) => f.endsWith('.js'))
    .map((f) => `static/chunks/${f}`)
    .filter((f) => readFileSync(`${next}${f}`, 'utf8').includes('xterm-helper-textarea'));
  return [...direct, ...xterm];
}

export default async function firstLoad() {
  if (!existsSync(`${next}BUILD_ID`))
    throw new Error('No production build: run `npx next build` in apps/dashboard first');
  const workspace = routeFiles('/w/[workspaceId]');
  return [
    { name: 'first-load JS: phone home (/, workspace list)', value: gzipKb(routeFiles('')), unit: 'KB gzip' },
    {
      name: 'first-load JS: phone workspace (/w/[id])',
      value: gzipKb(workspace),
      unit: 'KB gzip',
      note: 'chat, changes, files',
    },
    {
      name: 'first-load JS: desktop workspace + Terminal',
      value: gzipKb([...workspace, ...lazyFiles('/w/[workspaceId]')]),
      unit: 'KB gzip',
      note: 'adds xterm.js and the Files pane, each loaded when its tab first opens',
    },
    { name: 'first-load JS: settings (/settings)', value: gzipKb(routeFiles('/settings')), unit: 'KB gzip' },
  ];
}
