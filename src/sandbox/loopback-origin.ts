/**
 * Which requests the sandbox's and the inbox's HTTP servers answer: both run on the developer's
 * machine and are reachable from any web page the browser opens. A page on another site that
 * rebinds its own name to 127.0.0.1 (DNS rebinding) sends its own name as Host; a page that
 * posts a form to them sends its own Origin. Both are refused.
 */

/** A loopback name, or the address the server listens on (lowercase, without brackets). */
function isOwnName(name: string, listenHost: string): boolean {
  return name === 'localhost' || name === '127.0.0.1' || name === '::1' || name === listenHost.toLowerCase() || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** Whether a `Host` header names this server: a loopback name or its listen address, any port. */
export function hostAllowed(hostHeader: string | undefined, listenHost: string): boolean {
  if (!hostHeader) return false;
  const name = hostHeader.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return isOwnName(name, listenHost);
}

/**
 * Whether an `Origin` header is the server's own or a loopback one. No Origin (curl, the
 * gateway's own Graph client, a same-origin GET) is allowed; `null` (a sandboxed frame, a
 * file) and every other site are not.
 */
export function originAllowed(originHeader: string | undefined, listenHost: string): boolean {
  if (originHeader === undefined) return true;
  let url: URL;
  try {
    url = new URL(originHeader);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return isOwnName(url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase(), listenHost);
}
