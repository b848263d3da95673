// Recipient values that make the sandbox misbehave on purpose, so that clients can test
// their handling of every failure without a real Page. See README.md for the list.

/** What a magic value asks the sandbox to do instead of answering normally. */
export type Magic =
  | { kind: 'graph-error'; code: number; subcode?: number }
  | { kind: 'http-status'; status: number }
  | { kind: 'malformed' }
  | { kind: 'hang' }
  /** Answer after `ms`, as `then` says (or normally when it is undefined). */
  | { kind: 'delay'; ms: number; then?: Magic };

/** Longest delay honoured: long enough for any timeout test, short enough not to leak. */
export const MAX_DELAY_MS = 10 * 60 * 1000;

/** The magic in a recipient value (or upload file name), or undefined for an ordinary one. */
export function parseMagic(value: string): Magic | undefined {
  if (value === 'error-hang') return { kind: 'hang' };
  if (value === 'error-malformed') return { kind: 'malformed' };
  const http = /^error-http-(\d{3})$/.exec(value);
  if (http) {
    const status = Number(http[1]);
    return status >= 200 && status <= 599 ? { kind: 'http-status', status } : undefined;
  }
  const graph = /^error-(\d{1,9})(?:-(\d{1,12}))?$/.exec(value);
  if (graph) {
    const magic: Magic = { kind: 'graph-error', code: Number(graph[1]) };
    if (graph[2] !== undefined) magic.subcode = Number(graph[2]);
    return magic;
  }
  const delay = /^delay-(\d{1,9})(?:-(.*))?$/.exec(value);
  if (delay) {
    const ms = Math.min(Number(delay[1]), MAX_DELAY_MS);
    // The rest may itself be magic (`delay-500-error-613`) or just make the value unique.
    const then = delay[2] === undefined ? undefined : parseMagic(delay[2]);
    return then === undefined ? { kind: 'delay', ms } : { kind: 'delay', ms, then };
  }
  return undefined;
}

/** The magic in an upload: the file name or the URL's last path segment, extension dropped. */
export function uploadMagic(name: string | undefined): Magic | undefined {
  if (name === undefined) return undefined;
  let base = name;
  try {
    base = new URL(name).pathname;
  } catch {
    // A file name, not a URL.
  }
  base = base.slice(base.lastIndexOf('/') + 1).replace(/\.[A-Za-z0-9]{1,8}$/, '');
  return parseMagic(base);
}
