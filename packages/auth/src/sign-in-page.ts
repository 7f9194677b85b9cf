// The self-contained sign-in page the gate serves to unauthenticated navigations (and on /pair).

export interface SignInPageOptions {
  nonce: string;
  /** On /pair: read `#c=<code>` and redeem it. */
  pair: boolean;
  /** A cross-site navigation arrived without the SameSite=Strict cookie: re-navigate once (same-origin now). */
  bounce: boolean;
  /** Shown above the form (e.g. "Too many attempts, retry in 30 s"). */
  message?: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The dashboard's colours (apps/dashboard theme.css): dark by default, light when the system asks for it, so the
 * sign-in page and the dashboard after it look the same.
 */
export const PAGE_THEME =
  ':root{color-scheme:dark;--bg:#0b0d10;--bg-elevated:#12151a;--bg-sunken:#07080a;--border:#262c36;' +
  '--border-strong:#3a4250;--fg:#eef1f5;--fg-muted:#a9b1bd;--accent:#7aa2ff;--accent-fg:#0b0d10;--danger:#f87171}' +
  '@media (prefers-color-scheme: light){:root{color-scheme:light;--bg:#ffffff;--bg-elevated:#f6f7f9;' +
  '--bg-sunken:#eef0f3;--border:#d5dae2;--border-strong:#aab2bf;--fg:#0b0d10;' +
  '--fg-muted:#39414d;--accent:#1d4ed8;--accent-fg:#ffffff;--danger:#b91c1c}}';

const HOW_TO_SIGN_IN =
  'Open the one-time sign-in link that <code>band start</code> prints (<code>npx band start</code> from a clone), ' +
  'or paste the token from <code>band token show</code> (<code>npx band token show</code>) to sign in.';

export function signInPage(o: SignInPageOptions): string {
  const config = JSON.stringify({ pair: o.pair, bounce: o.bounce }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en" data-testid="sign-in-page"><head><meta charset="utf-8"><meta name="viewport" \
content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><meta name="color-scheme" content="dark light"><title>Band · Sign in</title>
<style nonce="${o.nonce}">
${PAGE_THEME}
body{font:16px/1.5 system-ui,sans-serif;background:var(--bg);color:var(--fg);display:grid;place-items:center;\
min-height:100vh;margin:0}
main{box-sizing:border-box;width:min(92vw,380px);max-width:100%;padding:28px;overflow-wrap:anywhere;border:1px solid \
var(--border);border-radius:12px;background:var(--bg-elevated)}
h1{font-size:20px;margin:0 0 8px}p{color:var(--fg-muted);margin:0 0 16px;font-size:14px}
code{color:var(--fg);font:13px ui-monospace,monospace}
input{width:100%;box-sizing:border-box;padding:10px;border-radius:8px;border:1px solid var(--border-strong);\
background:var(--bg-sunken);color:inherit;font:14px ui-monospace,monospace}
button{margin-top:12px;width:100%;padding:10px;border:0;border-radius:8px;background:var(--accent);\
color:var(--accent-fg);font-weight:600;cursor:pointer}
#msg{min-height:20px;color:var(--danger);font-size:14px;margin-top:10px}
</style></head><body><main data-testid="sign-in">
<h1>Band</h1>
<p id="lead">${o.pair ? 'Signing you in…' : HOW_TO_SIGN_IN}</p>
<form id="f"${o.pair ? ' hidden' : ''}><label for="t">Token</label>
<input id="t" name="token" type="password" autocomplete="current-password" spellcheck="false" autofocus required>
<button type="submit">Sign in</button></form>
<div id="msg" role="alert">${o.message ? escapeHtml(o.message) : ''}</div>
</main>
<script nonce="${o.nonce}">
(function(){
var cfg=${config};var msg=document.getElementById('msg');var form=document.getElementById('f');
if(cfg.bounce&&!sessionStorage.getItem('band-bounced')){sessionStorage.setItem('band-bounced','1');\
location.replace(location.href);return;}
sessionStorage.removeItem('band-bounced');
function post(path,body){return fetch(path,{method:'POST',credentials:'same-origin',\
headers:{'content-type':'application/json'},body:JSON.stringify(body)});}
function fail(r,text){if(r&&r.status===429){var s=r.headers.get('retry-after');msg.textContent='Too many attempts. \
Retry in '+(s||'a few')+' s.';}else{msg.textContent=text;}}
if(cfg.pair){var m=/[#&]c=([A-Za-z0-9_-]+)/.exec(location.hash);history.replaceState(null,'','/pair');
if(!m){document.getElementById('lead').textContent='This pairing link has no code.';form.hidden=false;}
else{post('/auth/pair',{code:m[1]}).then(function(r){if(r.ok){location.replace('/');\
}else{document.getElementById('lead').textContent='Sign in';form.hidden=false;fail(r,'This code has expired or was \
already used. Scan the QR code again.');}},function(){form.hidden=false;fail(null,'Network error.');});}}
form.addEventListener('submit',function(e){e.preventDefault();var t=document.getElementById('t');
post('/auth/login',{token:t.value.trim()}).then(function(r){if(r.ok){t.value='';\
location.replace(cfg.pair?'/':location.pathname+location.search);}else{fail(r,'That token is not valid.');}},\
function(){fail(null,'Network error.');});});
})();
</script></body></html>`;
}
