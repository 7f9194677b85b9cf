/**
 * A copy of `env` without any `BAND_*` variable. Every process Band starts (agents, shells, language servers, git
 * and setup hooks) begins from this: `BAND_TOKEN` is the server's root key, and `BAND_HOME`, `BAND_SERVER_URL`,
 * `BAND_CLOUDFLARED_PATH`... configure the Band process, not what runs inside a workspace. Variables a caller sets
 * on purpose for one child (`BAND_WORKSPACE_ID` of a terminal) are added after this.
 */
export function withoutBandVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    // Environment names are case-insensitive on Windows (`band_token` is BAND_TOKEN there).
    if (key.toUpperCase().startsWith('BAND_')) continue;
    clean[key] = value;
  }
  return clean;
}
