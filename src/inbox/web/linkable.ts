// A message holds whatever a client sent, refused sends included: only these schemes are drawn
// as links. `javascript:`, `data:` and the rest stay text, whatever the CSP would stop.
const LINKABLE = new Set(['http:', 'https:', 'tel:']);

/** `url` when it may be an `href` (absolute http, https or tel), else undefined. */
export function linkable(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return LINKABLE.has(new URL(url).protocol) ? url : undefined;
  } catch {
    return undefined;
  }
}
