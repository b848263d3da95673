import type { Platform } from '../config/gateway-config';
import { INSTAGRAM_PROFILE_PROPERTIES } from '../limits/graph-limits';
import type { Commands, DeleteMessengerProfileRequest, GetMessengerProfileRequest, Greeting, IceBreakers, PersistentMenu, SetMessengerProfileRequest } from '../../gen/messenger/v1/page';
import {
  GREETING_TEXT_MAX,
  ICE_BREAKERS_MAX,
  MENU_ITEM_TITLE_MAX,
  PERSISTENT_MENU_ITEMS_MAX,
  POSTBACK_PAYLOAD_MAX,
  WHITELISTED_DOMAINS_MAX,
} from '../limits/graph-limits';
import type { FieldViolation } from './field-violation';
import { checkRequired, checkRequiredMax, checkUrl, MAX_WALKED_ITEMS, shown } from './field-checks';
import { checkPageId, type IsPageConfigured } from './validate-page-id';
import { ViolationList } from './violation-list';

/** The Messenger Profile properties the gateway reads, sets and deletes (Graph's names). */
export const PROFILE_FIELDS = ['get_started', 'greeting', 'ice_breakers', 'persistent_menu', 'whitelisted_domains', 'account_linking_url', 'commands'] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

const KNOWN: ReadonlySet<string> = new Set(PROFILE_FIELDS);
const WEBVIEW_RATIOS: ReadonlySet<string> = new Set(['compact', 'tall', 'full']);
/**
 * Bounds of the gateway's own for profile texts Meta gives no number for (ice-breaker questions,
 * command names and descriptions): far above anything Messenger shows, they only keep an absurd
 * write from reaching Graph, spending the Page's budget and making its profile too large to read
 * back (the 1 MiB answer bound).
 */
const PROFILE_TEXT_MAX = 1_000;
/** A locale as Meta writes them (`en_US`, `default`). */
const LOCALE = /^(default|[a-z]{2,3}_[A-Z]{2})$/;
/** The surfaces a menu can be disabled on: Meta names one (`CUSTOMER_CHAT_PLUGIN`); a few are room enough. */
const DISABLED_SURFACES_MAX = 10;
const SURFACE_NAME_MAX = 100;

/** GetMessengerProfile: known property names, each once. */
export function validateGetMessengerProfile(req: GetMessengerProfileRequest, isPageConfigured: IsPageConfigured): FieldViolation[] {
  const out = new ViolationList();
  checkPageId(out, 'page_id', req.pageId, isPageConfigured);
  checkFields(out, req.fields, false);
  return out.items;
}

/** DeleteMessengerProfile: at least one known property name, each once. */
export function validateDeleteMessengerProfile(req: DeleteMessengerProfileRequest, isPageConfigured: IsPageConfigured): FieldViolation[] {
  const out = new ViolationList();
  checkPageId(out, 'page_id', req.pageId, isPageConfigured);
  checkFields(out, req.fields, true);
  return out.items;
}

/**
 * SetMessengerProfile: Meta's rules, all of them reported at once. A persistent menu must come
 * with `get_started` in the same request: Graph refuses a menu on a Page without a Get Started
 * button, and the gateway cannot see the live profile without spending the Page's budget.
 */
export function validateSetMessengerProfile(req: SetMessengerProfileRequest, isPageConfigured: IsPageConfigured, platform: Platform = 'messenger'): FieldViolation[] {
  const out = new ViolationList();
  checkPageId(out, 'page_id', req.pageId, isPageConfigured);
  const any = req.getStarted !== undefined || req.greeting.length > 0 || req.iceBreakers.length > 0 || req.persistentMenu.length > 0 ||
    req.whitelistedDomains.length > 0 || req.accountLinkingUrl !== '' || req.commands.length > 0;
  if (!any) out.add('(request)', 'sets no property: set at least one of ' + PROFILE_FIELDS.join(', '));
  if (req.getStarted) checkRequiredMax(out, 'get_started.payload', req.getStarted.payload, POSTBACK_PAYLOAD_MAX);
  checkGreeting(out, req.greeting);
  checkIceBreakers(out, req.iceBreakers);
  // Instagram has no Get Started button, and shows its menu without one.
  checkPersistentMenu(out, req.persistentMenu, req.getStarted !== undefined || platform === 'instagram');
  checkDomains(out, req.whitelistedDomains);
  checkUrl(out, 'account_linking_url', req.accountLinkingUrl, { httpsOnly: true });
  checkCommands(out, req.commands);
  return out.items;
}

function checkFields(out: ViolationList, fields: readonly string[], required: boolean): void {
  if (required && fields.length === 0) out.add('fields', `is required: name at least one of ${PROFILE_FIELDS.join(', ')}`);
  if (tooMany(out, 'fields', fields.length, PROFILE_FIELDS.length)) return;
  const seen = new Set<string>();
  fields.forEach((f, i) => {
    if (!KNOWN.has(f)) out.add(`fields[${i}]`, `must be one of ${PROFILE_FIELDS.join(', ')} (got "${shown(f)}")`);
    else if (seen.has(f)) out.add(`fields[${i}]`, `names "${f}" twice`);
    seen.add(f);
  });
}

/** A list longer than `max` is refused whole, its items not walked. */
function tooMany(out: ViolationList, field: string, n: number, max: number): boolean {
  if (n <= max) return false;
  out.add(field, `must have at most ${max} items (got ${n})`);
  return n > MAX_WALKED_ITEMS;
}

/** Each item has a locale, each locale once, and one of them is `default`. */
function checkLocales(out: ViolationList, field: string, locales: readonly string[]): void {
  if (locales.length === 0) return;
  const seen = new Set<string>();
  locales.forEach((locale, i) => {
    if (!checkRequired(out, `${field}[${i}].locale`, locale)) return;
    if (!LOCALE.test(locale)) out.add(`${field}[${i}].locale`, `must be "default" or a locale such as en_US (got "${shown(locale)}")`);
    if (seen.has(locale)) out.add(`${field}[${i}].locale`, `"${shown(locale)}" appears twice`);
    seen.add(locale);
  });
  if (!seen.has('default')) out.add(field, 'must have an item with the locale "default"');
}

function checkGreeting(out: ViolationList, greeting: readonly Greeting[]): void {
  if (tooMany(out, 'greeting', greeting.length, MAX_WALKED_ITEMS)) return;
  checkLocales(out, 'greeting', greeting.map((g) => g.locale));
  greeting.forEach((g, i) => checkRequiredMax(out, `greeting[${i}].text`, g.text, GREETING_TEXT_MAX));
}

function checkIceBreakers(out: ViolationList, iceBreakers: readonly IceBreakers[]): void {
  if (tooMany(out, 'ice_breakers', iceBreakers.length, MAX_WALKED_ITEMS)) return;
  checkLocales(out, 'ice_breakers', iceBreakers.map((b) => b.locale));
  iceBreakers.forEach((b, i) => {
    const field = `ice_breakers[${i}].call_to_actions`;
    if (b.callToActions.length === 0) out.add(field, 'is required: at least one question');
    if (tooMany(out, field, b.callToActions.length, ICE_BREAKERS_MAX)) return;
    b.callToActions.forEach((q, j) => {
      checkRequiredMax(out, `${field}[${j}].question`, q.question, PROFILE_TEXT_MAX);
      checkRequiredMax(out, `${field}[${j}].payload`, q.payload, POSTBACK_PAYLOAD_MAX);
    });
  });
}

function checkPersistentMenu(out: ViolationList, menus: readonly PersistentMenu[], withGetStarted: boolean): void {
  if (menus.length === 0) return;
  if (!withGetStarted) out.add('persistent_menu', 'needs get_started in the same request: Messenger shows a persistent menu only on a Page with a Get Started button');
  if (tooMany(out, 'persistent_menu', menus.length, MAX_WALKED_ITEMS)) return;
  checkLocales(out, 'persistent_menu', menus.map((m) => m.locale));
  menus.forEach((menu, i) => {
    const field = `persistent_menu[${i}].call_to_actions`;
    if (menu.callToActions.length === 0 && !menu.composerInputDisabled) out.add(field, 'is required unless composer_input_disabled');
    // A menu read from Graph's JSON (the profile as code) may lack the repeated field altogether.
    const surfaces: readonly string[] = menu.disabledSurfaces ?? [];
    if (surfaces.length > DISABLED_SURFACES_MAX) out.add(`persistent_menu[${i}].disabled_surfaces`, `at most ${DISABLED_SURFACES_MAX} surfaces (got ${surfaces.length})`);
    else surfaces.forEach((surface, k) => checkRequiredMax(out, `persistent_menu[${i}].disabled_surfaces[${k}]`, surface, SURFACE_NAME_MAX));
    if (tooMany(out, field, menu.callToActions.length, PERSISTENT_MENU_ITEMS_MAX)) return;
    menu.callToActions.forEach((item, j) => {
      const at = `${field}[${j}]`;
      checkRequiredMax(out, `${at}.title`, item.title, MENU_ITEM_TITLE_MAX);
      if (item.type === 'postback') {
        checkRequiredMax(out, `${at}.payload`, item.payload, POSTBACK_PAYLOAD_MAX);
        if (item.url !== '') out.add(`${at}.url`, 'must be unset for a postback item');
      } else if (item.type === 'web_url') {
        checkUrl(out, `${at}.url`, item.url, { required: true, httpsOnly: true });
        if (item.payload !== '') out.add(`${at}.payload`, 'must be unset for a web_url item');
        if (item.webviewHeightRatio !== '' && !WEBVIEW_RATIOS.has(item.webviewHeightRatio)) {
          out.add(`${at}.webview_height_ratio`, `must be compact, tall or full (got "${shown(item.webviewHeightRatio)}")`);
        }
      } else {
        out.add(`${at}.type`, `must be postback or web_url (got "${shown(item.type)}")`);
      }
    });
  });
}

function checkDomains(out: ViolationList, domains: readonly string[]): void {
  if (tooMany(out, 'whitelisted_domains', domains.length, WHITELISTED_DOMAINS_MAX)) return;
  domains.forEach((d, i) => checkUrl(out, `whitelisted_domains[${i}]`, d, { required: true, httpsOnly: true }));
}

function checkCommands(out: ViolationList, commands: readonly Commands[]): void {
  if (tooMany(out, 'commands', commands.length, MAX_WALKED_ITEMS)) return;
  checkLocales(out, 'commands', commands.map((c) => c.locale));
  commands.forEach((c, i) => {
    if (tooMany(out, `commands[${i}].commands`, c.commands.length, MAX_WALKED_ITEMS)) return;
    c.commands.forEach((cmd, j) => {
      checkRequiredMax(out, `commands[${i}].commands[${j}].name`, cmd.name, PROFILE_TEXT_MAX);
      checkRequiredMax(out, `commands[${i}].commands[${j}].description`, cmd.description, PROFILE_TEXT_MAX);
    });
  });
}

/** The Messenger Profile properties and menu settings Instagram lacks, in a SetMessengerProfile request. */
export function instagramSetProfileViolations(req: SetMessengerProfileRequest): FieldViolation[] {
  const out = new ViolationList();
  const lacks = 'is not available on Instagram: an Instagram account has ice_breakers and persistent_menu only';
  if (req.getStarted !== undefined) out.add('get_started', lacks);
  if (req.greeting.length > 0) out.add('greeting', lacks);
  if (req.whitelistedDomains.length > 0) out.add('whitelisted_domains', lacks);
  if (req.accountLinkingUrl !== '') out.add('account_linking_url', lacks);
  if (req.commands.length > 0) out.add('commands', lacks);
  const menus = req.persistentMenu;
  for (let i = 0; i < menus.length && i < MAX_WALKED_ITEMS; i++) {
    if (menus[i].composerInputDisabled) out.add(`persistent_menu[${i}].composer_input_disabled`, 'is not available on Instagram');
    if (menus[i].disabledSurfaces.length > 0) out.add(`persistent_menu[${i}].disabled_surfaces`, 'is not available on Instagram');
    const items = menus[i].callToActions ?? [];
    for (let j = 0; j < items.length && j < MAX_WALKED_ITEMS; j++) {
      if (items[j].webviewHeightRatio !== '') out.add(`persistent_menu[${i}].call_to_actions[${j}].webview_height_ratio`, 'is not available on Instagram');
    }
  }
  return out.items;
}

/** The properties Instagram lacks among those a Get or Delete names. */
export function instagramProfileFieldViolations(fields: readonly string[]): FieldViolation[] {
  const out = new ViolationList();
  for (let i = 0; i < fields.length && i < MAX_WALKED_ITEMS; i++) {
    if (!INSTAGRAM_PROFILE_PROPERTIES.includes(fields[i])) out.add(`fields[${i}]`, `${fields[i]} is not available on Instagram: an Instagram account has ice_breakers and persistent_menu only`);
  }
  return out.items;
}
