/** What a store says when a new group would pass a bound (the RPC words its own answer to a caller). */
import type { EventsConfig } from '../config/gateway-config';

type Bounds = Pick<EventsConfig, 'maxGroupsPerCaller' | 'neverAckedGroupMs' | 'retentionMs'>;

function whenDeleted(options: Bounds): string {
  return `no consumer for ${options.neverAckedGroupMs} ms if none of its consumers ever acked, else ${options.retentionMs} ms`;
}

/** The owner is at `maxGroupsPerCaller`: its own count only. */
export function ownerBoundMessage(held: number, options: Bounds): string {
  return `this caller holds ${held} consumer groups, its share (events.maxGroupsPerCaller ${options.maxGroupsPerCaller}): subscribe to one of its groups, or wait until an abandoned one is deleted (${whenDeleted(options)})`;
}

/** The store is at `maxGroups`. */
export function storeBoundMessage(held: number, options: Bounds): string {
  return `the event store holds ${held} consumer groups, its bound: subscribe to an existing group, or wait until an abandoned one is deleted (${whenDeleted(options)})`;
}
