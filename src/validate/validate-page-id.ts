import type { ViolationList } from './violation-list';

/** Tells whether the gateway holds credentials for a Page. */
export type IsPageConfigured = (pageId: string) => boolean;

/** `field` (a page_id) must be set and name a Page the gateway is configured for. */
export function checkPageId(out: ViolationList, field: string, pageId: string, isPageConfigured: IsPageConfigured): void {
  if (pageId === '') out.add(field, 'is required');
  else if (!isPageConfigured(pageId)) out.add(field, `page ${pageId} is not configured in this gateway`);
}
