/**
 * Limits Graph's Send API sets on what it accepts, in one place: the gateway's validation
 * (src/validate) refuses a request past them before Graph sees it, the sandbox (src/sandbox)
 * refuses them as Graph would, and the configuration (src/config) bounds the upload limit by
 * Graph's. Lengths count characters (code points), as Graph does.
 */

/** `message.text`: fewer than this many characters. */
export const TEXT_LIMIT = 2000;

// -- Instagram (Meta's instagram-messaging send-message and attachment-upload pages) --

/** `message.text` on Instagram: at most this many bytes of UTF-8. */
export const INSTAGRAM_TEXT_MAX_BYTES = 1000;
/** The only tag Instagram takes. */
export const INSTAGRAM_ONLY_TAG = 'HUMAN_AGENT';
/**
 * What an Instagram message may carry, per media type: the formats (file extensions) and the
 * largest size. A send takes image, audio and video (Meta's send-message table); an upload
 * (the Attachment Upload API's table) also takes gif images and pdf files.
 */
export const INSTAGRAM_MEDIA: Readonly<Record<'image' | 'audio' | 'video' | 'file', { formats: readonly string[]; uploadFormats: readonly string[]; maxBytes: number; send: boolean }>> = {
  image: { formats: ['png', 'jpeg', 'jpg'], uploadFormats: ['png', 'jpeg', 'jpg', 'gif'], maxBytes: 8 * 1024 * 1024, send: true },
  audio: { formats: ['aac', 'm4a', 'wav', 'mp4'], uploadFormats: ['aac', 'm4a', 'wav', 'mp4'], maxBytes: 25 * 1024 * 1024, send: true },
  video: { formats: ['mp4', 'ogg', 'avi', 'mov', 'webm'], uploadFormats: ['mp4', 'ogg', 'avi', 'mov', 'webm'], maxBytes: 25 * 1024 * 1024, send: true },
  file: { formats: [], uploadFormats: ['pdf'], maxBytes: 25 * 1024 * 1024, send: false },
};
/** The Messenger Profile properties Instagram has. */
export const INSTAGRAM_PROFILE_PROPERTIES: readonly string[] = ['ice_breakers', 'persistent_menu'];
/** The User Profile API's fields for an Instagram-scoped id (IGSID). */
export const INSTAGRAM_USER_PROFILE_FIELDS: readonly string[] = ['id', 'name', 'username', 'profile_pic', 'follower_count', 'is_user_follow_business', 'is_business_follow_user'];
/** What is asked for an IGSID when a request names no field. */
export const DEFAULT_INSTAGRAM_USER_PROFILE_FIELDS: readonly string[] = ['name', 'username', 'profile_pic'];

// -- Rates Meta documents per Page and per Instagram account (Messenger rate limits, 2026) --

/** Text, links, reactions, stickers (and everything else not below): calls per second. */
export const SEND_PER_SECOND = 300;
/** Audio and video: calls per second. */
export const MEDIA_SEND_PER_SECOND = 10;
/** Private replies (`recipient.comment_id` / `post_id`): calls per hour. */
export const PRIVATE_REPLIES_PER_HOUR = 750;
/** The Conversations API (history): calls per second. */
export const CONVERSATIONS_API_PER_SECOND = 2;
/** `message.metadata`: fewer than this many characters. */
export const METADATA_LIMIT = 1000;

/** Quick replies of one message. */
export const QUICK_REPLIES_MAX = 13;
export const QUICK_REPLY_TITLE_MAX = 20;
export const QUICK_REPLY_PAYLOAD_MAX = 1000;

/** Images of one `attachments` message. */
export const IMAGES_MAX = 30;

/** Buttons of a template or an element. */
export const BUTTONS_MAX = 3;
export const BUTTON_TITLE_MAX = 20;
export const POSTBACK_PAYLOAD_MAX = 1000;

/** A generic element's title and subtitle. */
export const ELEMENT_TEXT_MAX = 80;
/** A button template's text. */
export const BUTTON_TEXT_MAX = 640;
/** Elements of a generic template. */
export const GENERIC_ELEMENTS_MAX = 10;
/** Products of a product template. */
export const PRODUCTS_MAX = 10;
/** Elements (items) of a receipt template. */
export const RECEIPT_ELEMENTS_MAX = 100;
/** A customer feedback template's `expires_in_days`. */
export const FEEDBACK_EXPIRY_MAX_DAYS = 7;

/** An attachment upload: 25 MB. */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;

/** A persona's name (Personas API). */
export const PERSONA_NAME_MAX = 50;
/** One locale's greeting text (Messenger Profile API). */
export const GREETING_TEXT_MAX = 160;
/** Items of one locale's persistent menu. */
export const PERSISTENT_MENU_ITEMS_MAX = 20;
/** A persistent menu item's title. */
export const MENU_ITEM_TITLE_MAX = 30;
/** Questions of one locale's ice breakers. */
export const ICE_BREAKERS_MAX = 4;
/** Domains of `whitelisted_domains`. */
export const WHITELISTED_DOMAINS_MAX = 50;
/** The Messenger Profile API's budget: this many calls per window, per Page. */
export const PROFILE_CALLS_PER_WINDOW = 10;
export const PROFILE_WINDOW_MS = 10 * 60 * 1000;
/** A message template's name. */
export const TEMPLATE_NAME_MAX = 512;
/** Items per page of a Graph list edge (`limit`). */
export const LIST_LIMIT_MAX = 100;
/** Conversation routing: the `metadata` of a pass, take or request, in characters. */
export const HANDOVER_METADATA_MAX = 1000;
/** The Page Inbox's app id: the target of a pass to people working in Meta Business Suite. */
export const PAGE_INBOX_APP_ID = '263902037430900';

/**
 * The User Profile API's fields (`GET /{psid}?fields=`): a PSID's (`locale`, `timezone` and
 * `gender` need Meta's approval) and an Instagram-scoped id's.
 */
export const USER_PROFILE_FIELDS = [
  'id', 'name', 'first_name', 'last_name', 'profile_pic', 'locale', 'timezone', 'gender',
  'username', 'follower_count', 'is_user_follow_business', 'is_business_follow_user',
] as const;
/** What is asked for when a request names no field: what a greeting needs. */
export const DEFAULT_USER_PROFILE_FIELDS: readonly string[] = ['first_name', 'last_name', 'profile_pic'];

/**
 * Meta's messaging windows (platform.md, "Messaging windows"): any message within 24 hours of
 * the person's last qualifying action; after that a `HUMAN_AGENT` tagged reply within 7 days
 * of it, or a utility template. Graph refuses anything else with 10/2018278.
 */
export const STANDARD_WINDOW_MS = 24 * 3_600_000;
export const HUMAN_AGENT_WINDOW_MS = 7 * 24 * 3_600_000;

// -- The Conversations API (history), Meta's platform reference "Conversations API" --

/** Instagram returns only this many of a conversation's most recent messages. */
export const INSTAGRAM_HISTORY_MESSAGES = 20;
/** `limit` the gateway asks for when a request names none. */
export const HISTORY_DEFAULT_PAGE_SIZE = 25;
/** The largest `limit` the gateway asks for. */
export const HISTORY_MAX_PAGE_SIZE = 100;
