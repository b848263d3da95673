import {
  GenericTemplate_ImageAspectRatio,
  MediaElement_MediaKind,
  type ButtonTemplate,
  type GenericElement,
  type GenericTemplate,
  type MediaTemplate,
  type ProductTemplate,
  type Template,
} from '../../gen/messenger/v1/template';
import { BUTTON_TEXT_MAX, ELEMENT_TEXT_MAX, GENERIC_ELEMENTS_MAX, PRODUCTS_MAX } from '../limits/graph-limits';
import { checkButtons, checkWebview } from './validate-button';
import { checkCount, checkEnum, checkMaxChars, checkRequired, checkRequiredMax, checkUrl, walkCount } from './field-checks';
import { checkCouponTemplate, checkCustomerFeedbackTemplate, checkReceiptTemplate } from './validate-template-commerce';
import type { ViolationList } from './violation-list';

/** A structured template (`message.attachment.template`): one kind, valid for that kind. */
export function checkTemplate(out: ViolationList, field: string, template: Template): void {
  const kind = template.kind;
  if (kind === undefined) {
    out.add(field, 'must set one kind: generic, button, media, receipt, product, coupon or customer_feedback');
    return;
  }
  switch (kind.$case) {
    case 'generic':
      return checkGenericTemplate(out, `${field}.generic`, kind.value);
    case 'button':
      return checkButtonTemplate(out, `${field}.button`, kind.value);
    case 'media':
      return checkMediaTemplate(out, `${field}.media`, kind.value);
    case 'receipt':
      return checkReceiptTemplate(out, `${field}.receipt`, kind.value);
    case 'product':
      return checkProductTemplate(out, `${field}.product`, kind.value);
    case 'coupon':
      return checkCouponTemplate(out, `${field}.coupon`, kind.value);
    case 'customerFeedback':
      return checkCustomerFeedbackTemplate(out, `${field}.customer_feedback`, kind.value);
  }
}

function checkGenericTemplate(out: ViolationList, field: string, t: GenericTemplate): void {
  checkCount(out, `${field}.elements`, t.elements.length, 1, GENERIC_ELEMENTS_MAX, 'elements');
  for (let i = 0; i < walkCount(t.elements); i++) checkGenericElement(out, `${field}.elements[${i}]`, t.elements[i]);
  checkEnum(out, `${field}.image_aspect_ratio`, GenericTemplate_ImageAspectRatio, t.imageAspectRatio, false);
}

function checkGenericElement(out: ViolationList, field: string, e: GenericElement): void {
  checkRequiredMax(out, `${field}.title`, e.title, ELEMENT_TEXT_MAX);
  checkMaxChars(out, `${field}.subtitle`, e.subtitle, ELEMENT_TEXT_MAX);
  checkUrl(out, `${field}.image_url`, e.imageUrl);
  if (e.defaultAction !== undefined) checkWebview(out, `${field}.default_action`, e.defaultAction);
  checkButtons(out, `${field}.buttons`, e.buttons);
  // Graph refuses a card that is only a title.
  if (e.subtitle === '' && e.imageUrl === '' && e.defaultAction === undefined && e.buttons.length === 0) {
    out.add(field, 'needs at least one of subtitle, image_url, default_action or buttons');
  }
}

function checkButtonTemplate(out: ViolationList, field: string, t: ButtonTemplate): void {
  checkRequiredMax(out, `${field}.text`, t.text, BUTTON_TEXT_MAX);
  checkButtons(out, `${field}.buttons`, t.buttons, 1);
}

function checkMediaTemplate(out: ViolationList, field: string, t: MediaTemplate): void {
  const element = t.element;
  if (element === undefined) {
    out.add(`${field}.element`, 'is required');
    return;
  }
  const path = `${field}.element`;
  checkEnum(out, `${path}.media_type`, MediaElement_MediaKind, element.mediaType, true);
  const source = element.source;
  if (source === undefined) out.add(path, 'must set one of url or attachment_id');
  else if (source.$case === 'url') checkUrl(out, `${path}.url`, source.value, { required: true });
  else checkRequired(out, `${path}.attachment_id`, source.value);
  checkButtons(out, `${path}.buttons`, element.buttons);
}

function checkProductTemplate(out: ViolationList, field: string, t: ProductTemplate): void {
  checkCount(out, `${field}.product_ids`, t.productIds.length, 1, PRODUCTS_MAX, 'product ids');
  for (let i = 0; i < walkCount(t.productIds); i++) checkRequired(out, `${field}.product_ids[${i}]`, t.productIds[i]);
}
