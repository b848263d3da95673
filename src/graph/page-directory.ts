import type { PageConfig } from '../config/gateway-config';
import { pageCredentials, type PageCredentials } from './page-credentials';

/** The Pages this gateway may send for, with their credentials. */
export interface PageDirectory {
  has(pageId: string): boolean;
  get(pageId: string): PageCredentials | undefined;
}

/** Exactly the configured Pages. */
export function configuredPages(pages: PageConfig[]): PageDirectory {
  const byId = new Map(pages.map((p) => [p.id, pageCredentials(p)]));
  return { has: (id) => byId.has(id), get: (id) => byId.get(id) };
}

/** The token sent for sandbox Pages that have none configured. */
export const SANDBOX_TOKEN = 'sandbox-token';

/** Sandbox mode: the configured Pages if there are any, else any numeric Page id with a placeholder token. */
export function sandboxPages(pages: PageConfig[]): PageDirectory {
  if (pages.length > 0) return configuredPages(pages);
  // Not cached: callers choose the ids, so a cache would grow without bound.
  const get = (id: string): PageCredentials | undefined => {
    if (!/^\d{1,20}$/.test(id)) return undefined;
    return pageCredentials({ id, accessToken: SANDBOX_TOKEN, appsecretProof: 'classic' });
  };
  return { has: (id) => get(id) !== undefined, get };
}
