/**
 * Every span attribute, span event and metric name the gateway sets, in one place. The stable
 * OpenTelemetry semantic conventions are copied from @opentelemetry/semantic-conventions (a test
 * holds them equal to the package's): importing that package took ~0.3 s of every start, for nine
 * strings. The RPC ones are still incubating there (whose constants the OpenTelemetry docs say to
 * copy, not import) and are the pre-1.0 names @opentelemetry/instrumentation-grpc emits.
 */
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
export const ATTR_HTTP_REQUEST_RESEND_COUNT = 'http.request.resend_count';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_URL_FULL = 'url.full';
export const ATTR_URL_PATH = 'url.path';
export const ATTR_URL_QUERY = 'url.query';

export const ATTR_RPC_SYSTEM = 'rpc.system';
export const ATTR_RPC_SERVICE = 'rpc.service';
export const ATTR_RPC_METHOD = 'rpc.method';
export const ATTR_RPC_GRPC_STATUS_CODE = 'rpc.grpc.status_code';
/** What instrumentation-grpc puts on a failed server span, kept for dashboards built on it. */
export const ATTR_GRPC_ERROR_NAME = 'grpc.error_name';
export const ATTR_GRPC_ERROR_MESSAGE = 'grpc.error_message';

/** The gateway's own attributes (server span unless said). */
export const ATTR = {
  PAGE_ID: 'messenger.page.id',
  /** The authenticated calling service (its configured name, never its key). */
  CALLER: 'messenger.caller',
  MESSAGING_TYPE: 'messenger.messaging_type',
  SENDER_ACTION: 'messenger.sender_action',
  RECIPIENT_KIND: 'messenger.recipient.kind',
  /** Only with `telemetry.recordRecipient: true`: a PSID is personal data. */
  RECIPIENT_ID: 'messenger.recipient.id',
  MESSAGE_ID: 'messenger.message.id',
  ATTACHMENT_ID: 'messenger.attachment.id',
  UPLOAD_BYTES: 'messenger.upload.bytes',
  UPLOAD_SOURCE: 'messenger.upload.source',
  ERROR_REASON: 'messenger.error.reason',
  GRAPH_CODE: 'messenger.graph.error.code',
  GRAPH_SUBCODE: 'messenger.graph.error.subcode',
  GRAPH_FBTRACE_ID: 'messenger.graph.error.fbtrace_id',
  GRAPH_TRANSIENT: 'messenger.graph.error.is_transient',
  GRAPH_ERROR_TYPE: 'messenger.graph.error.type',
  GRAPH_ERROR_MESSAGE: 'messenger.graph.error.message',
  RETRY_DELAY_S: 'messenger.retry.delay_s',
  VIOLATIONS: 'messenger.validation.violations',
  IDEMPOTENCY_KEY_PRESENT: 'messenger.idempotency.key_present',
  IDEMPOTENCY_REPLAYED: 'messenger.idempotency.replayed',
  /** `messenger.graph.retry` event: the attempt that failed and the wait before the next. */
  RETRY_ATTEMPT: 'messenger.retry.attempt',
  RETRY_DELAY_MS: 'messenger.retry.delay_ms',
  /** The Graph outcome kind (`ok`, `graph-error`, `timeout`, ...): retry events and the latency metric. */
  GRAPH_OUTCOME: 'messenger.graph.outcome',
  /** Usage metric: which header the percentage came from. */
  USAGE_HEADER: 'messenger.usage.header',
  /** What became of a webhook request: `stored`, `bad_signature`, `store_full`, ... */
  WEBHOOK_OUTCOME: 'messenger.webhook.outcome',
  /** Events metric: `stored`, `deduplicated` or `refused`. */
  EVENT_OUTCOME: 'messenger.event.outcome',
  CONSUMER_GROUP: 'messenger.consumer_group',
  /** The Page's conversation policy on a send: `enforce`, `warn` or `off`. */
  CONVERSATION_POLICY: 'messenger.conversation.policy',
  /**
   * What the policy made of the send: `allowed`, `refused`, `warned`, `unknown` (the gateway
   * holds no record of the conversation: it cannot know, the send goes out) or `unchecked`
   * (a recipient that is not a person's id). Also the policy metric's attribute.
   */
  CONVERSATION_DECISION: 'messenger.conversation.decision',
  /** What may be sent now by the record: `any`, `human-agent`, `utility` or `unknown`. */
  CONVERSATION_ALLOWED: 'messenger.conversation.allowed',
} as const;

export const EVENT = {
  GRAPH_ERROR: 'messenger.graph.error',
  GRAPH_RETRY: 'messenger.graph.retry',
} as const;

export const METRIC = {
  SENDS: 'messenger.gateway.sends',
  GRAPH_DURATION: 'messenger.graph.request.duration',
  GRAPH_USAGE: 'messenger.graph.usage',
  WEBHOOK_REQUESTS: 'messenger.webhook.requests',
  EVENTS: 'messenger.events',
  EVENTS_LAG: 'messenger.events.lag',
  EVENTS_OLDEST_UNACKED: 'messenger.events.oldest_unacked_age',
  EVENTS_DROPPED: 'messenger.events.dropped',
  TOKEN_EXPIRES_IN: 'messenger.token.expires_in',
  TOKEN_REFRESHES: 'messenger.token.refreshes',
  /** Sends the conversation policy refused (`enforce`) or let through marked (`warn`), by page, reason and decision. */
  CONVERSATION_POLICY_SENDS: 'messenger.conversation.policy.sends',
  /** Standard windows that close within the next hour, per page. */
  CONVERSATION_WINDOWS_CLOSING: 'messenger.conversation.windows_closing',
} as const;
