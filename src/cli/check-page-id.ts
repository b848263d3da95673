import { UsageError } from './usage-error';

/**
 * Page ids are numeric: a name (`my-shop`) is refused before anything is called, instead of
 * reaching the gateway (which would call it not configured) or fixing a consumer group's scope.
 */
export function checkPageId(pageId: string, flag = '--page'): void {
  if (!/^\d{1,20}$/.test(pageId)) throw new UsageError(`${flag}: Page ids are numeric (the Page's id, as in the gateway's pages[].id), got ${JSON.stringify(pageId)}`);
}
