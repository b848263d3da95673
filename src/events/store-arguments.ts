/** What every event store refuses alike, before anything of its own. */
import type { EventsConfig } from '../config/gateway-config';
import type { ConsumerOptions } from './event-store';

/** Every field of the events config, each a positive number (a new field must be listed here). */
const POSITIVE: Record<keyof EventsConfig, true> = {
  dedupWindowMs: true,
  retentionMs: true,
  maxEvents: true,
  ackDeadlineMs: true,
  maxDeliveryAttempts: true,
  maxGroups: true,
  maxGroupsPerCaller: true,
  neverAckedGroupMs: true,
  groupIdleMs: true,
  partitions: true,
};

/** Throws RangeError when a bound or duration of the config is not a positive number. */
export function checkEventsConfig(config: EventsConfig): void {
  for (const k of Object.keys(POSITIVE) as Array<keyof EventsConfig>) {
    const v = config[k];
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`events.${k} must be a positive number (got ${String(v)})`);
  }
}

/** Throws RangeError for a consumer without a group or without room for one event. */
export function checkConsumerOptions(options: ConsumerOptions): void {
  if (!options.group) throw new RangeError('a consumer group needs a name');
  if (!Number.isInteger(options.maxOutstanding) || options.maxOutstanding < 1) {
    throw new RangeError(`maxOutstanding must be a positive integer (got ${options.maxOutstanding})`);
  }
}
