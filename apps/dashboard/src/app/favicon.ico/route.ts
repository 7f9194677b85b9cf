// Browsers and tools ask for /favicon.ico whatever the page links: answer with the app icon (the SVG of
// app/icon.svg, which browsers accept here) instead of a 404.
const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">' +
  '<rect x="2" y="2" width="20" height="20" rx="6" fill="#7aa2ff"/>' +
  '<path d="M7 8h10M7 12h10M7 16h6" stroke="#0b0d10" stroke-width="2.2" stroke-linecap="round"/></svg>';

export const dynamic = 'force-static';

export function GET(): Response {
  return new Response(ICON, { headers: { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=86400' } });
}
