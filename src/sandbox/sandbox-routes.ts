// The paths the sandbox serves: the Send API and Attachment Upload API edges of a Page.

/** A Send API edge and the Page it was called on (`me` when unnamed). */
export interface Route {
  pageId: string;
  edge: 'messages' | 'message_attachments';
}

// Any `vN.N` version prefix, or none (the app's default version).
const ROUTE = /^\/(?:v\d+\.\d+\/)?([^/]+)\/(messages|message_attachments)\/?$/;

/** The route of `pathname`, or undefined for a path Graph would not know. */
export function parseRoute(pathname: string): Route | undefined {
  const match = ROUTE.exec(pathname);
  if (!match) return undefined;
  let pageId: string;
  try {
    pageId = decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
  return { pageId, edge: match[2] === 'messages' ? 'messages' : 'message_attachments' };
}

/** Whether Graph could resolve this id: `me` or a numeric object id. */
export function isKnownNode(pageId: string): boolean {
  return pageId === 'me' || /^\d{1,20}$/.test(pageId);
}
