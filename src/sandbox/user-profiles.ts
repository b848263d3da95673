// The sandbox's people: a stable made-up profile per id, so that a lookup answers the same every time.

import { createHash } from 'node:crypto';

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Thompson'];
const LOCALES = ['en_US', 'fr_FR', 'de_DE', 'es_ES'];

/** Fields only a person has (a persona or a Page has none of them): what makes `GET /{id}` a profile lookup. */
const PERSON_ONLY = new Set(['first_name', 'last_name', 'profile_pic', 'locale', 'timezone', 'gender', 'username', 'follower_count', 'is_user_follow_business', 'is_business_follow_user']);

/** Whether a `fields` query asks for a person's profile. */
export function isProfileQuery(fields: string | null): boolean {
  return fields !== null && fields.split(',').some((f) => PERSON_ONLY.has(f.trim()));
}

/** The profile of `psid` with the fields asked for (unknown ones are left out). */
export function userProfile(psid: string, fields: readonly string[]): Record<string, unknown> {
  const h = createHash('sha256').update(psid).digest();
  const first = FIRST[h[0] % FIRST.length];
  const last = LAST[h[1] % LAST.length];
  const all: Record<string, unknown> = {
    id: psid,
    name: `${first} ${last}`,
    first_name: first,
    last_name: last,
    profile_pic: `https://platform-lookaside.fbsbx.com/platform/profilepic/?psid=${encodeURIComponent(psid)}&width=1024&ext=1&hash=sandbox`,
    locale: LOCALES[h[2] % LOCALES.length],
    timezone: (h[3] % 25) - 12,
    gender: h[4] % 2 === 0 ? 'female' : 'male',
    username: `${first}.${last}`.toLowerCase(),
    follower_count: h[5] * 10,
    is_user_follow_business: h[6] % 2 === 0,
    is_business_follow_user: h[7] % 2 === 0,
  };
  // Graph always returns the id.
  const out: Record<string, unknown> = {};
  for (const f of fields) if (f in all) out[f] = all[f];
  out.id = psid;
  return out;
}
