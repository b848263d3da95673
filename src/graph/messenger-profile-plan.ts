import { fromGraphProfile, toGraphProfile } from './messenger-profile-json';

/** One property's change: added, changed or removed; values in Graph's JSON. */
export interface ProfileChange {
  field: string;
  action: 'add' | 'change' | 'remove';
  before?: unknown;
  after?: unknown;
}

/** What applying a desired profile to the live one takes: at most one POST and one DELETE. */
export interface ProfilePlan {
  changes: ProfileChange[];
  /** The POST's body (Graph's JSON), when something is added or changed. */
  set?: Record<string, unknown>;
  /** The DELETE's fields, when something is removed. */
  remove: string[];
  /** Graph calls the plan writes with (0, 1 or 2): each spends the Page's profile budget. */
  writes: number;
}

/**
 * The difference between the profile as code (Graph's JSON; a property set to null is to be
 * deleted, one not named is left alone) and the live profile (a `GET` answer's item). Values are
 * compared in canonical form (through the contract's types, so key order and Graph's defaults
 * make no difference). A changed persistent menu is written with `get_started` beside it, which
 * Graph requires of a menu.
 */
export function planProfile(desired: Readonly<Record<string, unknown>>, live: Readonly<Record<string, unknown>>): ProfilePlan {
  const have = canonical(live);
  const want = canonical(Object.fromEntries(Object.entries(desired).filter(([, v]) => v !== null)));
  const changes: ProfileChange[] = [];
  const set: Record<string, unknown> = {};
  const remove: string[] = [];
  for (const field of Object.keys(desired)) {
    // Own properties only: a name such as "constructor" must not find Object.prototype's.
    const before = Object.hasOwn(have, field) ? have[field] : undefined;
    if (desired[field] === null) {
      if (before !== undefined) {
        changes.push({ field, action: 'remove', before });
        remove.push(field);
      }
      continue;
    }
    const after = Object.hasOwn(want, field) ? want[field] : undefined;
    if (after === undefined || stableJson(before) === stableJson(after)) continue;
    changes.push({ field, action: before === undefined ? 'add' : 'change', before, after });
    set[field] = after;
  }
  if (set.persistent_menu !== undefined && set.get_started === undefined) {
    const getStarted = want.get_started ?? have.get_started;
    if (getStarted !== undefined) set.get_started = getStarted;
  }
  const writes = (Object.keys(set).length > 0 ? 1 : 0) + (remove.length > 0 ? 1 : 0);
  return { changes, ...(Object.keys(set).length > 0 ? { set } : {}), remove, writes };
}

/** The plan as `terraform plan` prints one: `+` added, `~` changed, `-` removed. */
export function formatPlan(pageId: string, plan: ProfilePlan): string {
  if (plan.changes.length === 0) return `page ${pageId}: the Messenger Profile is up to date; nothing to write.`;
  const sign = { add: '+', change: '~', remove: '-' } as const;
  const lines = plan.changes.map((c) => {
    if (c.action === 'remove') return `  - ${c.field}: ${JSON.stringify(c.before)}`;
    if (c.action === 'add') return `  + ${c.field}: ${JSON.stringify(c.after)}`;
    return `  ${sign.change} ${c.field}: ${JSON.stringify(c.before)}\n      -> ${JSON.stringify(c.after)}`;
  });
  return `page ${pageId}: ${plan.changes.length} change(s), ${plan.writes} Graph write(s):\n${lines.join('\n')}`;
}

function canonical(o: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return toGraphProfile(fromGraphProfile({ ...o }));
}

/** JSON with object keys sorted: the same value always prints the same. */
function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, value: unknown) =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}
