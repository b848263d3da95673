import type { Commands, Greeting, IceBreakers, MenuItem, MessengerProfile, PersistentMenu } from '../../gen/messenger/v1/page';

/**
 * The Messenger Profile both ways: the contract's properties as Graph's JSON (what
 * `POST /{page-id}/messenger_profile` takes and `GET` answers), and back. Unset properties and
 * empty fields are omitted, so that the JSON of one profile is always the same (the profile
 * diff compares it).
 */
export type ProfileProperties = Omit<MessengerProfile, never>;

/** Graph's JSON of the properties set in `p`. */
export function toGraphProfile(p: ProfileProperties): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.getStarted) out.get_started = { payload: p.getStarted.payload };
  if (p.greeting.length > 0) out.greeting = p.greeting.map((g) => ({ locale: g.locale, text: g.text }));
  if (p.iceBreakers.length > 0) {
    out.ice_breakers = p.iceBreakers.map((b) => ({ call_to_actions: b.callToActions.map((q) => ({ question: q.question, payload: q.payload })), locale: b.locale }));
  }
  if (p.persistentMenu.length > 0) out.persistent_menu = p.persistentMenu.map(menuJson);
  if (p.whitelistedDomains.length > 0) out.whitelisted_domains = [...p.whitelistedDomains];
  if (p.accountLinkingUrl !== '') out.account_linking_url = p.accountLinkingUrl;
  if (p.commands.length > 0) out.commands = p.commands.map((c) => ({ locale: c.locale, commands: c.commands.map((x) => ({ name: x.name, description: x.description })) }));
  return out;
}

function menuJson(m: PersistentMenu): Record<string, unknown> {
  return {
    locale: m.locale,
    composer_input_disabled: m.composerInputDisabled,
    ...(m.disabledSurfaces.length > 0 ? { disabled_surfaces: [...m.disabledSurfaces] } : {}),
    call_to_actions: m.callToActions.map(itemJson),
  };
}

function itemJson(i: MenuItem): Record<string, unknown> {
  return {
    type: i.type,
    title: i.title,
    ...(i.payload !== '' ? { payload: i.payload } : {}),
    ...(i.url !== '' ? { url: i.url } : {}),
    ...(i.webviewHeightRatio !== '' ? { webview_height_ratio: i.webviewHeightRatio } : {}),
  };
}

/**
 * A profile from Graph's JSON (one `data[]` item of a GET, or a profile written in Graph's
 * shape in the config). What is not the contract's is dropped: Graph's deprecated properties,
 * unknown keys, values of the wrong type.
 */
export function fromGraphProfile(o: Record<string, unknown>): ProfileProperties {
  const gs = obj(o.get_started);
  return {
    getStarted: gs ? { payload: str(gs.payload) } : undefined,
    greeting: objs(o.greeting).map((g): Greeting => ({ locale: str(g.locale), text: str(g.text) })),
    iceBreakers: iceBreakersOf(o.ice_breakers),
    persistentMenu: objs(o.persistent_menu).map((m): PersistentMenu => ({
      locale: str(m.locale),
      composerInputDisabled: m.composer_input_disabled === true,
      callToActions: objs(m.call_to_actions).map((i): MenuItem => ({ type: str(i.type), title: str(i.title), payload: str(i.payload), url: str(i.url), webviewHeightRatio: str(i.webview_height_ratio) })),
      disabledSurfaces: Array.isArray(m.disabled_surfaces) ? m.disabled_surfaces.filter((s): s is string => typeof s === 'string') : [],
    })),
    whitelistedDomains: Array.isArray(o.whitelisted_domains) ? o.whitelisted_domains.filter((d): d is string => typeof d === 'string') : [],
    accountLinkingUrl: str(o.account_linking_url),
    commands: objs(o.commands).map((c): Commands => ({ locale: str(c.locale), commands: objs(c.commands).map((x) => ({ name: str(x.name), description: str(x.description) })) })),
  };
}

/**
 * Ice breakers in Graph's current form (per locale), or the older flat list of questions,
 * which Graph still answers for Pages that set it so: read as the `default` locale.
 */
function iceBreakersOf(v: unknown): IceBreakers[] {
  const items = objs(v);
  if (items.length > 0 && items.every((i) => i.question !== undefined)) {
    return [{ locale: 'default', callToActions: items.map((q) => ({ question: str(q.question), payload: str(q.payload) })) }];
  }
  return items.map((b) => ({ locale: str(b.locale), callToActions: objs(b.call_to_actions).map((q) => ({ question: str(q.question), payload: str(q.payload) })) }));
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function objs(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.map(obj).filter((x): x is Record<string, unknown> => x !== undefined) : [];
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
