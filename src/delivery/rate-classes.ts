import { CONVERSATIONS_API_PER_SECOND, PRIVATE_REPLIES_PER_HOUR } from '../limits/graph-limits';
import type { RateClass, RateLimitOptions } from './delivery-types';

/** Every bucket an account has. */
export const RATE_CLASSES: readonly RateClass[] = ['default', 'media', 'private_reply', 'conversations'];

/** One bucket's refill rate (tokens per second) and burst (tokens held at most). */
export interface BucketShape {
  rate: number;
  capacity: number;
}

/**
 * The shape of a class's bucket. `default` and `media` are configurable (Meta's 300/s and 10/s
 * by default), with a burst of one second. Private replies are Meta's 750 an hour: the whole
 * hour's allowance may go at once, then they come back at 750/3600 a second. The Conversations
 * API is Meta's 2 a second.
 */
export function bucketShape(cls: RateClass, options: RateLimitOptions): BucketShape {
  switch (cls) {
    case 'media':
      return perSecond(options.mediaPerSecond);
    case 'private_reply':
      return { rate: PRIVATE_REPLIES_PER_HOUR / 3600, capacity: PRIVATE_REPLIES_PER_HOUR };
    case 'conversations':
      return perSecond(CONVERSATIONS_API_PER_SECOND);
    default:
      return perSecond(options.defaultPerSecond);
  }
}

function perSecond(rate: number): BucketShape {
  return { rate, capacity: Math.max(1, rate) };
}
