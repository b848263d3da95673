import type { PageConfig } from '../config/gateway-config';
import type { ExclusiveLock } from '../delivery/exclusive-lock';
import { reasonName } from '../errors/failure';
import { formatPlan } from '../graph/messenger-profile-plan';
import type { Logger } from '../log/logger';
import { graphProfilePort } from '../service/graph-profile-port';
import { applyProfile } from '../service/profile-apply';
import type { PageServiceDeps } from '../service/page-service-deps';

/** How long one replica may hold a Page's apply lock: a read and two writes, with the Graph timeout each. */
const LOCK_TTL_MS = 60_000;

/**
 * At start, each Page's profile as code is applied: read, diff, write only what differs, within
 * the Page's budget. With many replicas one applies it (the Page's lock, in Redis when
 * configured); a replica that finds the lock taken leaves it to the holder. Runs beside serving:
 * a start never waits on Graph. Every outcome is one log line with the diff.
 */
export async function applyProfilesAtStart(deps: PageServiceDeps, pages: readonly PageConfig[], lock: ExclusiveLock, logger: Logger): Promise<void> {
  for (const page of pages) {
    if (!page.messengerProfile) continue;
    try {
      const release = await lock.acquire(`profile:${page.id}`, LOCK_TTL_MS);
      if (!release) {
        logger.info({ page: page.id }, 'messenger profile: another replica is applying it');
        continue;
      }
      try {
        const outcome = await applyProfile(graphProfilePort(deps, page.id), page.id, page.messengerProfile, true);
        const diff = outcome.plan ? formatPlan(page.id, outcome.plan) : undefined;
        if (outcome.failure) {
          logger.warn({ page: page.id, diff, reason: reasonName(outcome.failure.reason), err: outcome.failure.message }, 'messenger profile not applied');
        } else {
          logger.info({ page: page.id, diff, changes: outcome.plan?.changes.length ?? 0, writes: outcome.applied ? outcome.plan?.writes : 0 }, outcome.applied ? 'messenger profile applied' : 'messenger profile up to date');
        }
      } finally {
        await release();
      }
    } catch (err) {
      logger.warn({ page: page.id, err: err instanceof Error ? err.message : String(err) }, 'messenger profile not applied');
    }
  }
}
