import {
  FeedbackQuestion_QuestionType,
  GenericTemplate_ImageAspectRatio,
  MediaElement_MediaKind,
  type CouponTemplate,
  type CustomerFeedbackTemplate,
  type FeedbackQuestion,
  type GenericElement,
  type GenericTemplate,
  type MediaTemplate,
  type ReceiptTemplate,
  type Template,
} from '../../gen/messenger/v1/template';
import { toGraphButtons, toGraphDefaultAction, unvalidated } from './to-graph-buttons';
import type {
  GraphCouponPayload,
  GraphCustomerFeedbackPayload,
  GraphFeedbackQuestion,
  GraphGenericElement,
  GraphGenericPayload,
  GraphMediaElement,
  GraphMediaTemplatePayload,
  GraphReceiptAddress,
  GraphReceiptElement,
  GraphReceiptPayload,
  GraphReceiptSummary,
  GraphTemplatePayload,
} from './to-graph-types';

const IMAGE_ASPECT_RATIO: Readonly<Partial<Record<GenericTemplate_ImageAspectRatio, 'horizontal' | 'square'>>> = {
  [GenericTemplate_ImageAspectRatio.IMAGE_ASPECT_RATIO_HORIZONTAL]: 'horizontal',
  [GenericTemplate_ImageAspectRatio.IMAGE_ASPECT_RATIO_SQUARE]: 'square',
};

const MEDIA_KIND: Readonly<Partial<Record<MediaElement_MediaKind, 'image' | 'video'>>> = {
  [MediaElement_MediaKind.MEDIA_KIND_IMAGE]: 'image',
  [MediaElement_MediaKind.MEDIA_KIND_VIDEO]: 'video',
};

const QUESTION_TYPE: Readonly<Partial<Record<FeedbackQuestion_QuestionType, GraphFeedbackQuestion['type']>>> = {
  [FeedbackQuestion_QuestionType.QUESTION_TYPE_CSAT]: 'csat',
  [FeedbackQuestion_QuestionType.QUESTION_TYPE_NPS]: 'nps',
  [FeedbackQuestion_QuestionType.QUESTION_TYPE_CES]: 'ces',
};

/** The `payload` of a template attachment, with `template_type` from the chosen kind. */
export function toGraphTemplatePayload(template: Template, field: string): GraphTemplatePayload {
  const kind = template.kind ?? unvalidated(field);
  switch (kind.$case) {
    case 'generic':
      return genericPayload(kind.value, `${field}.generic`);
    case 'button': {
      const t = kind.value;
      const buttons = toGraphButtons(t.buttons, `${field}.button.buttons`) ?? unvalidated(`${field}.button.buttons`);
      return t.sharable
        ? { template_type: 'button', text: t.text, buttons, sharable: true }
        : { template_type: 'button', text: t.text, buttons };
    }
    case 'media':
      return mediaPayload(kind.value, `${field}.media`);
    case 'receipt':
      return receiptPayload(kind.value, `${field}.receipt`);
    case 'product': {
      const ids = kind.value.productIds;
      const elements = new Array<{ id: string }>(ids.length);
      for (let i = 0; i < ids.length; i++) elements[i] = { id: ids[i] };
      return { template_type: 'product', elements };
    }
    case 'coupon':
      return couponPayload(kind.value);
    case 'customerFeedback':
      return customerFeedbackPayload(kind.value);
  }
}

function genericPayload(t: GenericTemplate, field: string): GraphGenericPayload {
  const elements = new Array<GraphGenericElement>(t.elements.length);
  for (let i = 0; i < t.elements.length; i++) elements[i] = genericElement(t.elements[i], `${field}.elements[${i}]`);
  const out: GraphGenericPayload = { template_type: 'generic', elements };
  if (t.sharable) out.sharable = true;
  const ratio = IMAGE_ASPECT_RATIO[t.imageAspectRatio];
  if (ratio !== undefined) out.image_aspect_ratio = ratio;
  return out;
}

function genericElement(e: GenericElement, field: string): GraphGenericElement {
  const out: GraphGenericElement = { title: e.title };
  if (e.subtitle !== '') out.subtitle = e.subtitle;
  if (e.imageUrl !== '') out.image_url = e.imageUrl;
  if (e.defaultAction !== undefined) out.default_action = toGraphDefaultAction(e.defaultAction);
  const buttons = toGraphButtons(e.buttons, `${field}.buttons`);
  if (buttons !== undefined) out.buttons = buttons;
  return out;
}

function mediaPayload(t: MediaTemplate, field: string): GraphMediaTemplatePayload {
  const e = t.element ?? unvalidated(`${field}.element`);
  const mediaType = MEDIA_KIND[e.mediaType] ?? unvalidated(`${field}.element.media_type`);
  const source = e.source ?? unvalidated(`${field}.element`);
  const element: GraphMediaElement = source.$case === 'url'
    ? { media_type: mediaType, url: source.value }
    : { media_type: mediaType, attachment_id: source.value };
  const buttons = toGraphButtons(e.buttons, `${field}.element.buttons`);
  if (buttons !== undefined) element.buttons = buttons;
  const out: GraphMediaTemplatePayload = { template_type: 'media', elements: [element] };
  if (t.sharable) out.sharable = true;
  return out;
}

function receiptPayload(t: ReceiptTemplate, field: string): GraphReceiptPayload {
  const s = t.summary ?? unvalidated(`${field}.summary`);
  // Money goes as JSON numbers; optional amounts are sent whenever set, even when 0.
  const summary: GraphReceiptSummary = { total_cost: s.totalCost };
  if (s.subtotal !== undefined) summary.subtotal = s.subtotal;
  if (s.shippingCost !== undefined) summary.shipping_cost = s.shippingCost;
  if (s.totalTax !== undefined) summary.total_tax = s.totalTax;

  const out: GraphReceiptPayload = {
    template_type: 'receipt',
    recipient_name: t.recipientName,
    order_number: t.orderNumber,
    currency: t.currency,
    payment_method: t.paymentMethod,
    summary,
  };
  if (t.merchantName !== '') out.merchant_name = t.merchantName;
  if (t.timestamp !== '') out.timestamp = t.timestamp;
  if (t.orderUrl !== '') out.order_url = t.orderUrl;
  if (t.sharable) out.sharable = true;
  if (t.elements.length > 0) {
    out.elements = t.elements.map((e): GraphReceiptElement => {
      const el: GraphReceiptElement = { title: e.title, price: e.price };
      if (e.subtitle !== '') el.subtitle = e.subtitle;
      if (e.quantity !== 0) el.quantity = e.quantity;
      if (e.currency !== '') el.currency = e.currency;
      if (e.imageUrl !== '') el.image_url = e.imageUrl;
      return el;
    });
  }
  if (t.address !== undefined) {
    const a = t.address;
    const address: GraphReceiptAddress = { street_1: a.street1, city: a.city, postal_code: a.postalCode, state: a.state, country: a.country };
    if (a.street2 !== '') address.street_2 = a.street2;
    out.address = address;
  }
  if (t.adjustments.length > 0) out.adjustments = t.adjustments.map((a) => ({ name: a.name, amount: a.amount }));
  return out;
}

function couponPayload(t: CouponTemplate): GraphCouponPayload {
  const out: GraphCouponPayload = { template_type: 'coupon', title: t.title, coupon_code: t.couponCode };
  if (t.subtitle !== '') out.subtitle = t.subtitle;
  if (t.couponPreMessage !== '') out.coupon_pre_message = t.couponPreMessage;
  if (t.imageUrl !== '') out.image_url = t.imageUrl;
  if (t.couponUrl !== '') out.coupon_url = t.couponUrl;
  if (t.couponUrlButtonTitle !== '') out.coupon_url_button_title = t.couponUrlButtonTitle;
  if (t.payload !== '') out.payload = t.payload;
  return out;
}

function customerFeedbackPayload(t: CustomerFeedbackTemplate): GraphCustomerFeedbackPayload {
  const out: GraphCustomerFeedbackPayload = {
    template_type: 'customer_feedback',
    title: t.title,
    subtitle: t.subtitle,
    button_title: t.buttonTitle,
    feedback_screens: t.feedbackScreens.map((s) => ({ questions: s.questions.map(feedbackQuestion) })),
    business_privacy: { url: t.businessPrivacyUrl },
  };
  // 0 means "Graph's default" in the proto.
  if (t.expiresInDays !== 0) out.expires_in_days = t.expiresInDays;
  return out;
}

function feedbackQuestion(q: FeedbackQuestion): GraphFeedbackQuestion {
  const out: GraphFeedbackQuestion = { id: q.id, type: QUESTION_TYPE[q.type] ?? unvalidated('feedback question type') };
  if (q.title !== '') out.title = q.title;
  if (q.scoreLabel !== '') out.score_label = q.scoreLabel;
  if (q.scoreOption !== '') out.score_option = q.scoreOption;
  if (q.followUpPlaceholder !== '') out.follow_up = { type: 'free_form', placeholder: q.followUpPlaceholder };
  return out;
}
