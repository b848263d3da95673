import { GroupScopeError } from './event-store';

/** The pages a consumer of a group receives: those asked for, all within its scope (or narrowed to it). */
export function fitScope(group: string, scope: ReadonlySet<string> | undefined, pageIds: Set<string> | undefined, narrow: boolean): Set<string> | undefined {
  if (!scope) return pageIds;
  const shownScope = `${[...scope].slice(0, 5).join(', ')}${scope.size > 5 ? `, … (${scope.size} pages)` : ''}`;
  if (narrow) {
    const fitted = pageIds ? new Set([...pageIds].filter((p) => scope.has(p))) : new Set(scope);
    if (fitted.size === 0) {
      throw new GroupScopeError(`consumer group ${group} takes only the events of the pages it was created with (${shownScope}), none of which this caller may receive: use another group`, []);
    }
    return fitted;
  }
  if (!pageIds) throw new GroupScopeError(`consumer group ${group} takes only the events of the pages it was created with (${shownScope}), not every page: use another group`, []);
  const outside = [...pageIds].filter((p) => !scope.has(p));
  if (outside.length > 0) {
    throw new GroupScopeError(
      `consumer group ${group} takes only the events of the pages it was created with (${shownScope}); ${outside.slice(0, 5).join(', ')}${outside.length > 5 ? ', …' : ''} ${outside.length === 1 ? 'is' : 'are'} outside it: use another group`,
      outside,
    );
  }
  return pageIds;
}
