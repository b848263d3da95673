// Template attachments (`attachment.type: "template"`) and their buttons, as Graph checks them.

import {
  BUTTON_TEXT_MAX,
  BUTTON_TITLE_MAX,
  BUTTONS_MAX,
  ELEMENT_TEXT_MAX,
  FEEDBACK_EXPIRY_MAX_DAYS,
  GENERIC_ELEMENTS_MAX,
  POSTBACK_PAYLOAD_MAX,
  PRODUCTS_MAX,
  RECEIPT_ELEMENTS_MAX,
} from '../limits/graph-limits';
import { invalidParam } from './graph-errors';
import { type Check, each, isObject, missing, oneOf, optionalAmount, optionalArray, optionalBoolean, optionalString, requireAmount, requireArray, requireObject, requireString, optionalUrl, requireUrl } from './json-checks';

const BUTTON_TYPES = ['web_url', 'postback', 'phone_number', 'account_link', 'account_unlink', 'game_play'] as const;
const TEMPLATE_TYPES = ['generic', 'button', 'media', 'receipt', 'product', 'coupon', 'customer_feedback'] as const;

/** The `payload` of a template attachment, keyed by `template_type`. */
export function checkTemplatePayload(payload: unknown, name: string): Check {
  const shape = requireObject(payload, name);
  if (shape || !isObject(payload)) return shape;
  const typeName = `${name}[template_type]`;
  if (payload.template_type === undefined) return missing(typeName);
  const badType = oneOf(payload.template_type, typeName, TEMPLATE_TYPES);
  if (badType) return badType;
  const sharable = optionalBoolean(payload.sharable, `${name}[sharable]`);
  if (sharable) return sharable;
  switch (payload.template_type) {
    case 'generic':
      return checkGeneric(payload, name);
    case 'button':
      return requireString(payload.text, `${name}[text]`, BUTTON_TEXT_MAX) ??
        requireArray(payload.buttons, `${name}[buttons]`, 1, BUTTONS_MAX) ??
        each(payload.buttons, `${name}[buttons]`, checkButton);
    case 'media':
      return checkMedia(payload, name);
    case 'receipt':
      return checkReceipt(payload, name);
    case 'product':
      return requireArray(payload.elements, `${name}[elements]`, 1, PRODUCTS_MAX) ??
        each(payload.elements, `${name}[elements]`, (e, n) => requireObject(e, n) ?? (isObject(e) ? requireString(e.id, `${n}[id]`) : undefined));
    case 'coupon':
      return requireString(payload.title, `${name}[title]`) ?? requireString(payload.coupon_code, `${name}[coupon_code]`) ??
        optionalString(payload.subtitle, `${name}[subtitle]`) ?? optionalUrl(payload.coupon_url, `${name}[coupon_url]`);
    case 'customer_feedback':
      return checkCustomerFeedback(payload, name);
    default:
      return undefined;
  }
}

/** `buttons[]` items: fields per button type. */
export function checkButton(button: unknown, name: string): Check {
  const shape = requireObject(button, name);
  if (shape || !isObject(button)) return shape;
  if (button.type === undefined) return missing(`${name}[type]`);
  const badType = oneOf(button.type, `${name}[type]`, BUTTON_TYPES);
  if (badType) return badType;
  const title = (): Check => requireString(button.title, `${name}[title]`, BUTTON_TITLE_MAX);
  switch (button.type) {
    case 'web_url':
      return title() ?? checkWebview(button, name);
    case 'postback':
      return title() ?? requireString(button.payload, `${name}[payload]`, POSTBACK_PAYLOAD_MAX);
    case 'phone_number':
      return title() ?? requireString(button.payload, `${name}[payload]`);
    case 'account_link':
      return requireUrl(button.url, `${name}[url]`);
    case 'game_play':
      return title() ?? optionalString(button.payload, `${name}[payload]`);
    default:
      return undefined;
  }
}

/** The URL fields a web_url button shares with a generic element's default_action. */
function checkWebview(obj: Record<string, unknown>, name: string): Check {
  const ratio = obj.webview_height_ratio;
  return requireUrl(obj.url, `${name}[url]`) ??
    (ratio === undefined ? undefined : oneOf(ratio, `${name}[webview_height_ratio]`, ['compact', 'tall', 'full'])) ??
    optionalBoolean(obj.messenger_extensions, `${name}[messenger_extensions]`) ??
    optionalUrl(obj.fallback_url, `${name}[fallback_url]`);
}

function checkGeneric(payload: Record<string, unknown>, name: string): Check {
  const ratio = payload.image_aspect_ratio;
  return (ratio === undefined ? undefined : oneOf(ratio, `${name}[image_aspect_ratio]`, ['horizontal', 'square'])) ??
    requireArray(payload.elements, `${name}[elements]`, 1, GENERIC_ELEMENTS_MAX) ??
    each(payload.elements, `${name}[elements]`, checkGenericElement);
}

function checkGenericElement(element: unknown, name: string): Check {
  const shape = requireObject(element, name);
  if (shape || !isObject(element)) return shape;
  const problem = requireString(element.title, `${name}[title]`, ELEMENT_TEXT_MAX) ??
    optionalString(element.subtitle, `${name}[subtitle]`, ELEMENT_TEXT_MAX) ??
    optionalUrl(element.image_url, `${name}[image_url]`) ??
    optionalArray(element.buttons, `${name}[buttons]`, 0, BUTTONS_MAX) ??
    each(element.buttons, `${name}[buttons]`, checkButton);
  if (problem) return problem;
  const action = element.default_action;
  if (action !== undefined) {
    const bad = requireObject(action, `${name}[default_action]`) ??
      (isObject(action) ? oneOf(action.type, `${name}[default_action][type]`, ['web_url']) ?? checkWebview(action, `${name}[default_action]`) : undefined);
    if (bad) return bad;
  }
  const hasButtons = Array.isArray(element.buttons) && element.buttons.length > 0;
  if (!element.subtitle && !element.image_url && action === undefined && !hasButtons) {
    // Graph's own wording for a generic element with nothing but a title.
    return invalidParam('Incomplete element data: title and at least one other field (image url, subtitle or buttons) is required with non-empty value');
  }
  return undefined;
}

function checkMedia(payload: Record<string, unknown>, name: string): Check {
  const elements = payload.elements;
  const count = requireArray(elements, `${name}[elements]`, 1, 1);
  if (count || !Array.isArray(elements)) return count;
  const n = `${name}[elements][0]`;
  const element: unknown = elements[0];
  const shape = requireObject(element, n);
  if (shape || !isObject(element)) return shape;
  const type = element.media_type === undefined ? missing(`${n}[media_type]`) : oneOf(element.media_type, `${n}[media_type]`, ['image', 'video']);
  if (type) return type;
  const hasUrl = element.url !== undefined;
  const hasId = element.attachment_id !== undefined;
  if (hasUrl === hasId) return invalidParam('Media template requires exactly one of url or attachment_id', 2018187);
  return (hasUrl ? requireUrl(element.url, `${n}[url]`) : requireString(element.attachment_id, `${n}[attachment_id]`)) ??
    optionalArray(element.buttons, `${n}[buttons]`, 0, BUTTONS_MAX) ??
    each(element.buttons, `${n}[buttons]`, checkButton);
}

function checkReceipt(p: Record<string, unknown>, name: string): Check {
  const problem = requireString(p.recipient_name, `${name}[recipient_name]`) ??
    requireString(p.order_number, `${name}[order_number]`) ??
    requireString(p.currency, `${name}[currency]`) ??
    requireString(p.payment_method, `${name}[payment_method]`) ??
    optionalString(p.merchant_name, `${name}[merchant_name]`) ??
    optionalUrl(p.order_url, `${name}[order_url]`) ??
    optionalAmount(p.timestamp, `${name}[timestamp]`) ??
    requireObject(p.summary, `${name}[summary]`) ??
    optionalArray(p.elements, `${name}[elements]`, 0, RECEIPT_ELEMENTS_MAX) ??
    each(p.elements, `${name}[elements]`, (e, n) => requireObject(e, n) ??
      (isObject(e) ? requireString(e.title, `${n}[title]`) ?? requireAmount(e.price, `${n}[price]`) ?? optionalAmount(e.quantity, `${n}[quantity]`) : undefined)) ??
    optionalArray(p.adjustments, `${name}[adjustments]`, 0, Number.MAX_SAFE_INTEGER) ??
    each(p.adjustments, `${name}[adjustments]`, (a, n) => requireObject(a, n) ??
      (isObject(a) ? requireString(a.name, `${n}[name]`) ?? requireAmount(a.amount, `${n}[amount]`) : undefined));
  if (problem) return problem;
  const summary = p.summary;
  if (isObject(summary)) {
    const s = `${name}[summary]`;
    const bad = requireAmount(summary.total_cost, `${s}[total_cost]`) ?? optionalAmount(summary.subtotal, `${s}[subtotal]`) ??
      optionalAmount(summary.shipping_cost, `${s}[shipping_cost]`) ?? optionalAmount(summary.total_tax, `${s}[total_tax]`);
    if (bad) return bad;
  }
  const address = p.address;
  if (address === undefined) return undefined;
  const a = `${name}[address]`;
  return requireObject(address, a) ?? (isObject(address)
    ? requireString(address.street_1, `${a}[street_1]`) ?? requireString(address.city, `${a}[city]`) ??
      requireString(address.postal_code, `${a}[postal_code]`) ?? requireString(address.state, `${a}[state]`) ??
      requireString(address.country, `${a}[country]`)
    : undefined);
}

function checkCustomerFeedback(p: Record<string, unknown>, name: string): Check {
  const problem = requireString(p.title, `${name}[title]`) ??
    requireString(p.subtitle, `${name}[subtitle]`) ??
    requireString(p.button_title, `${name}[button_title]`) ??
    requireArray(p.feedback_screens, `${name}[feedback_screens]`, 1, 10) ??
    each(p.feedback_screens, `${name}[feedback_screens]`, checkFeedbackScreen) ??
    requireObject(p.business_privacy, `${name}[business_privacy]`) ??
    (isObject(p.business_privacy) ? requireUrl(p.business_privacy.url, `${name}[business_privacy][url]`) : undefined);
  if (problem) return problem;
  const days = p.expires_in_days;
  if (days !== undefined && !(typeof days === 'number' && Number.isInteger(days) && days >= 1 && days <= FEEDBACK_EXPIRY_MAX_DAYS)) {
    return invalidParam(`Param ${name}[expires_in_days] must be an integer between 1 and ${FEEDBACK_EXPIRY_MAX_DAYS}`);
  }
  return undefined;
}

function checkFeedbackScreen(screen: unknown, name: string): Check {
  const shape = requireObject(screen, name);
  if (shape || !isObject(screen)) return shape;
  return requireArray(screen.questions, `${name}[questions]`, 1, 10) ??
    each(screen.questions, `${name}[questions]`, (q, n) => requireObject(q, n) ??
      (isObject(q) ? requireString(q.id, `${n}[id]`) ?? oneOf(q.type, `${n}[type]`, ['csat', 'nps', 'ces']) : undefined));
}
