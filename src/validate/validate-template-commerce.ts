import {
  FeedbackQuestion_QuestionType,
  type CouponTemplate,
  type CustomerFeedbackTemplate,
  type FeedbackQuestion,
  type ReceiptAddress,
  type ReceiptTemplate,
} from '../../gen/messenger/v1/template';
import { FEEDBACK_EXPIRY_MAX_DAYS, RECEIPT_ELEMENTS_MAX } from '../limits/graph-limits';
import { checkCount, checkEnum, checkRequired, checkUrl, isNumericId, walkCount, shown, MAX_WALKED_ITEMS } from './field-checks';
import type { ViolationList } from './violation-list';


/** The receipt template: its required order fields, summary and items. */
export function checkReceiptTemplate(out: ViolationList, field: string, t: ReceiptTemplate): void {
  checkRequired(out, `${field}.recipient_name`, t.recipientName);
  checkRequired(out, `${field}.order_number`, t.orderNumber);
  checkCurrency(out, `${field}.currency`, t.currency, true);
  checkRequired(out, `${field}.payment_method`, t.paymentMethod);
  // 15 digits reach year 31 million: anything longer is not a timestamp (and overflows a number).
  if (t.timestamp !== '' && (!isNumericId(t.timestamp) || t.timestamp.length > 15)) {
    out.add(`${field}.timestamp`, 'must be seconds since the epoch, digits only');
  }
  checkUrl(out, `${field}.order_url`, t.orderUrl);
  checkCount(out, `${field}.elements`, t.elements.length, 0, RECEIPT_ELEMENTS_MAX, 'elements');
  for (let i = 0; i < walkCount(t.elements); i++) {
    const path = `${field}.elements[${i}]`;
    const e = t.elements[i];
    checkRequired(out, `${path}.title`, e.title);
    if (e.quantity < 0) out.add(`${path}.quantity`, `must not be negative (got ${e.quantity})`);
    checkFinite(out, `${path}.price`, e.price);
    checkCurrency(out, `${path}.currency`, e.currency, false);
    checkUrl(out, `${path}.image_url`, e.imageUrl);
  }
  if (t.address !== undefined) checkAddress(out, `${field}.address`, t.address);
  if (t.summary === undefined) {
    out.add(`${field}.summary`, 'is required');
  } else {
    const s = t.summary;
    if (s.subtotal !== undefined) checkFinite(out, `${field}.summary.subtotal`, s.subtotal);
    if (s.shippingCost !== undefined) checkFinite(out, `${field}.summary.shipping_cost`, s.shippingCost);
    if (s.totalTax !== undefined) checkFinite(out, `${field}.summary.total_tax`, s.totalTax);
    checkFinite(out, `${field}.summary.total_cost`, s.totalCost);
  }
  checkCount(out, `${field}.adjustments`, t.adjustments.length, 0, MAX_WALKED_ITEMS, 'adjustments');
  for (let i = 0; i < walkCount(t.adjustments); i++) {
    checkRequired(out, `${field}.adjustments[${i}].name`, t.adjustments[i].name);
    checkFinite(out, `${field}.adjustments[${i}].amount`, t.adjustments[i].amount);
  }
}

function checkAddress(out: ViolationList, field: string, a: ReceiptAddress): void {
  checkRequired(out, `${field}.street_1`, a.street1);
  checkRequired(out, `${field}.city`, a.city);
  checkRequired(out, `${field}.postal_code`, a.postalCode);
  checkRequired(out, `${field}.state`, a.state);
  checkRequired(out, `${field}.country`, a.country);
}

// ISO 4217 codes are three letters; Graph rejects anything else in a receipt.
function checkCurrency(out: ViolationList, field: string, value: string, required: boolean): void {
  if (value === '') {
    if (required) out.add(field, 'is required');
  } else if (!/^[A-Za-z]{3}$/.test(value)) {
    out.add(field, `must be a three-letter ISO 4217 code (got "${shown(value)}")`);
  }
}

// NaN and infinities have no JSON form, so Graph would receive null.
function checkFinite(out: ViolationList, field: string, value: number): void {
  if (!Number.isFinite(value)) out.add(field, `must be a finite number (got ${value})`);
}

/** The coupon template: a title and a code. */
export function checkCouponTemplate(out: ViolationList, field: string, t: CouponTemplate): void {
  checkRequired(out, `${field}.title`, t.title);
  checkRequired(out, `${field}.coupon_code`, t.couponCode);
  checkUrl(out, `${field}.image_url`, t.imageUrl);
  checkUrl(out, `${field}.coupon_url`, t.couponUrl);
}

/** The customer feedback template: texts, privacy URL and exactly one screen with one question. */
export function checkCustomerFeedbackTemplate(out: ViolationList, field: string, t: CustomerFeedbackTemplate): void {
  checkRequired(out, `${field}.title`, t.title);
  checkRequired(out, `${field}.subtitle`, t.subtitle);
  checkRequired(out, `${field}.button_title`, t.buttonTitle);
  checkUrl(out, `${field}.business_privacy_url`, t.businessPrivacyUrl, { required: true });
  // Graph takes exactly one screen with one question today.
  checkCount(out, `${field}.feedback_screens`, t.feedbackScreens.length, 1, 1, 'feedback screens');
  for (let i = 0; i < walkCount(t.feedbackScreens); i++) {
    const path = `${field}.feedback_screens[${i}].questions`;
    const questions = t.feedbackScreens[i].questions;
    checkCount(out, path, questions.length, 1, 1, 'questions');
    for (let j = 0; j < walkCount(questions); j++) checkQuestion(out, `${path}[${j}]`, questions[j]);
  }
  if (!Number.isInteger(t.expiresInDays) || t.expiresInDays < 0 || t.expiresInDays > FEEDBACK_EXPIRY_MAX_DAYS) {
    out.add(`${field}.expires_in_days`, `must be between 0 and ${FEEDBACK_EXPIRY_MAX_DAYS} (got ${t.expiresInDays})`);
  }
}

function checkQuestion(out: ViolationList, field: string, q: FeedbackQuestion): void {
  checkRequired(out, `${field}.id`, q.id);
  checkEnum(out, `${field}.type`, FeedbackQuestion_QuestionType, q.type, true);
}
