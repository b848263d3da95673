/**
 * The shape of a Page's profile as code (Graph's JSON for `POST /{page-id}/messenger_profile`),
 * checked where it is read: the config loader and `npm run profile -- --file`. The diff reads
 * only what it knows; without this check a misspelt property, or one of the wrong JSON type,
 * would be dropped without a word and the plan would say "up to date".
 */

/** The JSON type each managed property takes (null, for any of them, deletes it). */
const PROPERTY_TYPES: Readonly<Record<string, 'object' | 'array' | 'string'>> = {
  get_started: 'object',
  greeting: 'array',
  ice_breakers: 'array',
  persistent_menu: 'array',
  whitelisted_domains: 'array',
  account_linking_url: 'string',
  commands: 'array',
};

/** The Messenger Profile properties a profile as code may name (Graph's names). */
export const PROFILE_AS_CODE_PROPERTIES: readonly string[] = Object.keys(PROPERTY_TYPES);

/** What is wrong with a profile as code, one sentence each; empty when it can be planned. */
export function profileAsCodeProblems(profile: unknown): string[] {
  if (typeof profile !== 'object' || profile === null || Array.isArray(profile)) return ['must be a JSON object in Graph\'s Messenger Profile shape'];
  const problems: string[] = [];
  const names = Object.keys(profile);
  const unknown = names.filter((name) => !Object.hasOwn(PROPERTY_TYPES, name));
  if (unknown.length > 0) problems.push(`names properties the gateway does not manage: ${unknown.join(', ')} (known: ${PROFILE_AS_CODE_PROPERTIES.join(', ')})`);
  for (const name of names) {
    const want = Object.hasOwn(PROPERTY_TYPES, name) ? PROPERTY_TYPES[name] : undefined;
    const value = (profile as Record<string, unknown>)[name];
    if (want === undefined || value === null || jsonType(value) === want) continue;
    problems.push(`${name} must be ${want === 'array' ? 'an array' : `a JSON ${want}`}, or null to delete it (got ${jsonType(value)})`);
  }
  return problems;
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  return v === null ? 'null' : typeof v;
}
