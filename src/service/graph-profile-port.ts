import { deleteMessengerProfileSpec, getMessengerProfileSpec, setMessengerProfileSpec } from './messenger-profile-specs';
import type { PageServiceDeps } from './page-service-deps';
import { runGraphCall, type CallTrace } from './graph-call';
import type { ProfilePort } from './profile-apply';
import { takeProfileBudget } from './profile-budget-guard';

const NO_TRACE: CallTrace = { span: undefined, parent: undefined };

/** The gateway's own way to a Page's profile: the RPCs' specs run by the core, the Page's budget taken by the applier. */
export function graphProfilePort(deps: PageServiceDeps, pageId: string): ProfilePort {
  return {
    reserve: (n) => takeProfileBudget(deps.profileBudget, pageId, n),
    read: async () => {
      const r = await runGraphCall(deps, getMessengerProfileSpec, { pageId, fields: [] }, '', {}, NO_TRACE);
      return r.ok ? { ...r, response: r.response.profile ?? { greeting: [], iceBreakers: [], persistentMenu: [], whitelistedDomains: [], accountLinkingUrl: '', commands: [] } } : r;
    },
    write: (req) => runGraphCall(deps, setMessengerProfileSpec, req, '', {}, NO_TRACE),
    remove: (fields) => runGraphCall(deps, deleteMessengerProfileSpec, { pageId, fields }, '', {}, NO_TRACE),
  };
}
