import { shown } from './field-checks';
import type { ViolationList } from './violation-list';

// Page ids are at most 20 digits; anything much longer is refused without being looked up or echoed.
export const MAX_PAGE_ID_LENGTH = 64;

/** Tells whether the gateway holds credentials for a Page. */
export type IsPageConfigured = (pageId: string) => boolean;

/** `field` (a page_id) must be set, numeric, and name a Page the gateway is configured for. */
export function checkPageId(out: ViolationList, field: string, pageId: string, isPageConfigured: IsPageConfigured): void {
  if (pageId === '') out.add(field, 'is required');
  else if (pageId.length > MAX_PAGE_ID_LENGTH) out.add(field, `must be a Page id of at most 20 digits (got ${pageId.length} characters)`);
  // A Page's name (`my-shop`) is the commonest mistake: say what an id looks like, not that it is unknown.
  else if (!/^\d+$/.test(pageId)) out.add(field, `must be a numeric Page id (got "${shown(pageId)}")`);
  else if (!isPageConfigured(pageId)) out.add(field, `page ${shown(pageId)} is not configured in this gateway`);
}
