// The JSON bodies the gateway sends to Graph, typed with Graph's own names. Optional keys
// are omitted, never sent as "" / 0 / false / [].

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** `recipient`: exactly one identifier. */
export type GraphRecipient =
  | { id: string }
  | { user_ref: string }
  | { post_id: string }
  | { comment_id: string }
  | { notification_messages_token: string }
  | { one_time_notif_token: string }
  | { phone_number: string; name?: { first_name?: string; last_name?: string } };

export type GraphMessagingType = 'RESPONSE' | 'UPDATE' | 'MESSAGE_TAG' | 'UTILITY';
export type GraphNotificationType = 'REGULAR' | 'SILENT_PUSH' | 'NO_PUSH';
export type GraphTag = 'HUMAN_AGENT' | 'CUSTOMER_FEEDBACK' | 'ACCOUNT_UPDATE' | 'CONFIRMED_EVENT_UPDATE' | 'POST_PURCHASE_UPDATE';
export type GraphSenderAction = 'mark_seen' | 'typing_on' | 'typing_off' | 'react' | 'unreact';
export type GraphMediaType = 'image' | 'audio' | 'video' | 'file';
export type GraphWebviewHeightRatio = 'compact' | 'tall' | 'full';

/** `payload` of a media attachment. */
export type GraphMediaPayload = ({ url: string } | { attachment_id: string }) & { is_reusable?: true };

/** A media attachment: `{"type": "image", "payload": {...}}`. */
export interface GraphMediaAttachment {
  type: GraphMediaType;
  payload: GraphMediaPayload;
}

/** The fields a `web_url` button shares with a generic element's `default_action`. */
export interface GraphWebview {
  url: string;
  webview_height_ratio?: GraphWebviewHeightRatio;
  messenger_extensions?: true;
  fallback_url?: string;
  webview_share_button?: 'hide';
}

export type GraphButton =
  | ({ type: 'web_url'; title: string } & GraphWebview)
  | { type: 'postback'; title: string; payload: string }
  | { type: 'phone_number'; title: string; payload: string }
  | { type: 'account_link'; url: string }
  | { type: 'account_unlink' }
  | { type: 'game_play'; title: string; payload?: string; game_metadata?: { player_id: string } | { context_id: string } };

export interface GraphGenericElement {
  title: string;
  subtitle?: string;
  image_url?: string;
  default_action?: { type: 'web_url' } & GraphWebview;
  buttons?: GraphButton[];
}

export interface GraphGenericPayload {
  template_type: 'generic';
  elements: GraphGenericElement[];
  sharable?: true;
  image_aspect_ratio?: 'horizontal' | 'square';
}

export interface GraphButtonPayload {
  template_type: 'button';
  text: string;
  buttons: GraphButton[];
  sharable?: true;
}

export type GraphMediaElement = { media_type: 'image' | 'video' } & ({ url: string } | { attachment_id: string }) & {
  buttons?: GraphButton[];
};

export interface GraphMediaTemplatePayload {
  template_type: 'media';
  elements: [GraphMediaElement];
  sharable?: true;
}

export interface GraphReceiptElement {
  title: string;
  subtitle?: string;
  quantity?: number;
  price: number;
  currency?: string;
  image_url?: string;
}

export interface GraphReceiptAddress {
  street_1: string;
  street_2?: string;
  city: string;
  postal_code: string;
  state: string;
  country: string;
}

export interface GraphReceiptSummary {
  subtotal?: number;
  shipping_cost?: number;
  total_tax?: number;
  total_cost: number;
}

export interface GraphReceiptPayload {
  template_type: 'receipt';
  recipient_name: string;
  merchant_name?: string;
  order_number: string;
  currency: string;
  payment_method: string;
  timestamp?: string;
  order_url?: string;
  sharable?: true;
  elements?: GraphReceiptElement[];
  address?: GraphReceiptAddress;
  summary: GraphReceiptSummary;
  adjustments?: { name: string; amount: number }[];
}

export interface GraphProductPayload {
  template_type: 'product';
  elements: { id: string }[];
}

export interface GraphCouponPayload {
  template_type: 'coupon';
  title: string;
  coupon_code: string;
  subtitle?: string;
  coupon_pre_message?: string;
  image_url?: string;
  coupon_url?: string;
  coupon_url_button_title?: string;
  payload?: string;
}

export interface GraphFeedbackQuestion {
  id: string;
  type: 'csat' | 'nps' | 'ces';
  title?: string;
  score_label?: string;
  score_option?: string;
  follow_up?: { type: 'free_form'; placeholder: string };
}

export interface GraphCustomerFeedbackPayload {
  template_type: 'customer_feedback';
  title: string;
  subtitle: string;
  button_title: string;
  feedback_screens: { questions: GraphFeedbackQuestion[] }[];
  business_privacy: { url: string };
  expires_in_days?: number;
}

export type GraphTemplatePayload =
  | GraphGenericPayload
  | GraphButtonPayload
  | GraphMediaTemplatePayload
  | GraphReceiptPayload
  | GraphProductPayload
  | GraphCouponPayload
  | GraphCustomerFeedbackPayload;

/** A template attachment: `{"type": "template", "payload": {"template_type": ...}}`. */
export interface GraphTemplateAttachment {
  type: 'template';
  payload: GraphTemplatePayload;
}

/** Instagram's heart sticker: a type and no payload. */
export interface GraphStickerAttachment {
  type: 'like_heart';
}

/** Instagram's shared post. */
export interface GraphMediaShareAttachment {
  type: 'MEDIA_SHARE';
  payload: { id: string };
}

export type GraphAttachment = GraphMediaAttachment | GraphTemplateAttachment | GraphStickerAttachment | GraphMediaShareAttachment;

export type GraphUtilityParameter =
  | { type: 'text'; text: string; parameter_name?: string }
  | { type: 'POSTBACK'; payload: string; parameter_name?: string }
  | { type: 'URL'; url: string; parameter_name?: string };

/** `message.template`: a utility message template. */
export interface GraphUtilityTemplate {
  name: string;
  language: { code: string };
  components?: { type: 'header' | 'body' | 'buttons'; parameters?: GraphUtilityParameter[] }[];
}

export interface GraphQuickReply {
  content_type: 'text' | 'user_phone_number' | 'user_email';
  title?: string;
  payload?: string;
  image_url?: string;
}

/** `message`: exactly one of text, attachment, attachments or template, plus extras. */
export type GraphMessage = (
  | { text: string }
  | { attachment: GraphAttachment }
  | { attachments: GraphMediaAttachment[] }
  | { template: GraphUtilityTemplate }
) & {
  quick_replies?: GraphQuickReply[];
  metadata?: string;
};

/** The body of a message send (`POST /{page-id}/messages`). */
export interface GraphMessageBody {
  recipient: GraphRecipient;
  messaging_type?: GraphMessagingType;
  notification_type?: GraphNotificationType;
  tag?: GraphTag;
  message: GraphMessage;
  persona_id?: string;
  reply_to?: { mid: string };
  thread_control?: JsonObject;
}

/** The body of a sender action (`POST /{page-id}/messages`). */
export interface GraphSenderActionBody {
  recipient: GraphRecipient;
  sender_action: GraphSenderAction;
  payload?: { message_id: string; reaction?: string };
  persona_id?: string;
}

/** Any body of `POST /{page-id}/messages`. */
export type GraphSendBody = GraphMessageBody | GraphSenderActionBody;

/** The `message` field of `POST /{page-id}/message_attachments`. */
export interface GraphUploadMessage {
  attachment: {
    type: GraphMediaType;
    payload: { is_reusable: true; url?: string };
  };
}
