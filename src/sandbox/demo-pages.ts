// The Page ids the README and the examples use on the sandbox. Any numeric id works there; these
// are named so that demos do not poison each other: a simulated rate limit (`error-613`) pauses the
// Page it hit, so rate-limit demos use a Page of their own.

import { SIMULATED_REGAIN_MINUTES } from './usage-headers';

/** Page id → what the documentation uses it for. */
export const DEMO_PAGES: Readonly<Record<string, string>> = {
  '1001': 'general examples',
  '1002': `rate-limit demos: error-613 pauses this page for ${SIMULATED_REGAIN_MINUTES * 60} s`,
};
