/** Ends this browser's session (POST /auth/logout, same-origin) and goes to the sign-in page. False when it failed. */
export async function signOut(): Promise<boolean> {
  const response = await fetch('/auth/logout', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  }).catch(() => null);
  if (!response || response.status >= 400) return false;
  window.location.assign('/');
  return true;
}
