/**
 * The guardian runs between us and cloudflared (`node -e GUARDIAN_SOURCE <killAfterMs> <command> ...args`).
 * It holds a pipe to the parent on its stdin: when the parent dies, even by SIGKILL, the kernel closes
 * that pipe, the guardian sees EOF and terminates cloudflared (SIGTERM, then SIGKILL). Without it an
 * orphaned cloudflared lives until its next log write hits SIGPIPE, which can be days (tunnel.md §1.3).
 * It reports the real pid on fd 3, forwards SIGTERM/SIGINT, and exits the way its child exited.
 */
export const GUARDIAN_SOURCE = String.raw`
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const killAfterMs = Number(process.argv[1]) || 5000;
const command = process.argv[2];
const args = process.argv.slice(3);
function report(obj) { try { fs.writeSync(3, JSON.stringify(obj) + '\n'); } catch {} }
let child;
try {
  child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], windowsHide: true });
} catch (error) {
  report({ error: error.code || String(error) });
  process.exit(127);
}
child.on('error', (error) => { report({ error: error.code || String(error) }); process.exit(127); });
if (child.pid) report({ pid: child.pid });
let orphaned = false;
function onParentGone() {
  if (orphaned) return;
  orphaned = true;
  try { child.kill('SIGTERM'); } catch {}
  setTimeout(() => { try { child.kill('SIGKILL'); } catch {} }, killAfterMs);
}
process.stdin.on('end', onParentGone);
process.stdin.on('close', onParentGone);
process.stdin.on('error', onParentGone);
process.stdin.resume();
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { try { child.kill(sig); } catch {} });
process.on('SIGHUP', () => { try { child.kill('SIGTERM'); } catch {} });
child.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    try { process.kill(process.pid, signal); } catch {}
    setTimeout(() => process.exit(128), 1000);
  } else {
    process.exit(code == null ? 1 : code);
  }
});
`;
