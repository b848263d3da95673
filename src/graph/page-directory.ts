import type { PageConfig, Platform } from '../config/gateway-config';
import { pageCredentials, type PageCredentials } from './page-credentials';

/** The accounts (Pages and Instagram accounts) this gateway may send for, with their credentials. */
export interface PageDirectory {
  has(pageId: string): boolean;
  get(pageId: string): PageCredentials | undefined;
  /** The platform of a known account (validation's rules differ per platform). */
  platformOf(pageId: string): Platform | undefined;
  /** Every configured account (empty when any id is served, as the sandbox without accounts). */
  list(): readonly PageCredentials[];
}

/** Exactly the configured accounts. */
export function configuredPages(pages: PageConfig[]): PageDirectory {
  const byId = new Map(pages.map((p) => [p.id, pageCredentials(p)]));
  const all = [...byId.values()];
  return { has: (id) => byId.has(id), get: (id) => byId.get(id), platformOf: (id) => byId.get(id)?.platform, list: () => all };
}

/** The token sent for sandbox Pages that have none configured. */
export const SANDBOX_TOKEN = 'sandbox-token';

/**
 * Sandbox mode: the configured accounts if there are any; else the demo accounts (`demo`, the
 * Instagram accounts the sandbox knows) and any other numeric id as a Messenger Page with a
 * placeholder token.
 */
export function sandboxPages(pages: PageConfig[], demo: readonly PageConfig[] = []): PageDirectory {
  if (pages.length > 0) return configuredPages(pages);
  const demos = configuredPages([...demo]);
  // Not cached: callers choose the ids, so a cache would grow without bound.
  const get = (id: string): PageCredentials | undefined => {
    const known = demos.get(id);
    if (known) return known;
    if (!/^\d{1,20}$/.test(id)) return undefined;
    return pageCredentials({ id, accessToken: SANDBOX_TOKEN, appsecretProof: 'classic' });
  };
  return { has: (id) => get(id) !== undefined, get, platformOf: (id) => get(id)?.platform, list: demos.list };
}
