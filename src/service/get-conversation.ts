import { status, type handleUnaryCall } from '@grpc/grpc-js';
import type { Span } from '@opentelemetry/api';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import { AllowedSends, ThreadOwner, type GetConversationRequest, type GetConversationResponse } from '../../gen/messenger/v1/conversation';
import type { Platform } from '../config/gateway-config';
import { OTHER, SELF, type ConversationRecord } from '../conversations/conversation-record';
import { allowanceAt, humanAgentWindowEnd, standardWindowEnd, type Allowance } from '../conversations/conversation-state';
import type { ConversationGuard } from '../conversations/conversation-guard';
import { gatewayFailure, invalidRequest } from '../errors/failure';
import { StoreUnavailableError } from '../store/store-unavailable-error';
import { traceFields } from '../telemetry/log-trace-fields';
import { annotateRequest } from '../telemetry/send-span';
import { validateGetThreadOwner } from '../validate/validate-conversation';
import { failed, type CallResult } from './call-result';
import { personAttributes, personIdRule } from './person-id';
import { unaryEdge } from './rpc-edge';
import type { ServiceDeps } from './service-deps';

const ALLOWED: Record<Allowance, AllowedSends> = {
  unknown: AllowedSends.ALLOWED_SENDS_UNSPECIFIED,
  any: AllowedSends.ALLOWED_SENDS_ANY_MESSAGE,
  'human-agent': AllowedSends.ALLOWED_SENDS_HUMAN_AGENT_ONLY,
  utility: AllowedSends.ALLOWED_SENDS_UTILITY_TEMPLATE_ONLY,
  none: AllowedSends.ALLOWED_SENDS_NOTHING,
};

/** GetConversation: the gateway's record of a conversation; Graph is not called. */
export function getConversationHandler(deps: ServiceDeps, guard: ConversationGuard): handleUnaryCall<GetConversationRequest, GetConversationResponse> {
  const isPersonId = personIdRule(deps.sandbox);
  const method = 'GetConversation';
  return unaryEdge<GetConversationRequest, GetConversationResponse>(
    deps,
    { name: method, recover: (err, span) => recordsUnavailable(deps, err, span) },
    (req) => req.pageId,
    async (call, _bounds, span): Promise<CallResult<GetConversationResponse>> => {
      const req = call.request;
      if (span) annotateRequest(span, personAttributes(req.pageId, req.recipientId, deps.recordRecipient), undefined);
      const violations = validateGetThreadOwner(req, deps.pages.has, isPersonId);
      if (violations.length > 0) return failed(invalidRequest('GetConversation request', violations));
      const now = Date.now();
      const [record, since] = await Promise.all([guard.records.get(req.pageId, req.recipientId, now), guard.records.receivingSince(req.pageId)]);
      return { ok: true, response: conversationResponse(record, since, now, deps.pages.platformOf(req.pageId) ?? 'messenger'), replayed: false };
    },
  );
}

/** UNAVAILABLE STORE_UNAVAILABLE: Redis could not answer the read (a read changes nothing: a plain retry will do). */
function recordsUnavailable(deps: ServiceDeps, err: unknown, span: Span | undefined): CallResult<never> {
  if (!(err instanceof StoreUnavailableError)) throw err;
  deps.logger.error({ err: err.message, method: 'GetConversation', ...traceFields(span) }, 'conversation records unavailable');
  return failed(gatewayFailure(status.UNAVAILABLE, ErrorReason.STORE_UNAVAILABLE, 'the conversation records (Redis) are unreachable; nothing was changed: retry', { retryAfterMs: 1000, nothingSent: true }));
}

/** The record as the RPC's answer, for an account on `platform`. */
export function conversationResponse(r: ConversationRecord | undefined, receivingSinceMs: number, nowMs: number, platform: Platform): GetConversationResponse {
  const since = receivingSinceMs > 0 ? new Date(receivingSinceMs) : undefined;
  if (!r) return { known: false, owner: ThreadOwner.THREAD_OWNER_UNSPECIFIED, ownerAppId: '', allowed: AllowedSends.ALLOWED_SENDS_UNSPECIFIED, receivingSince: since };
  const end = standardWindowEnd(r);
  const agentEnd = humanAgentWindowEnd(r);
  const owner = r.owner === '' ? ThreadOwner.THREAD_OWNER_UNSPECIFIED : r.owner === SELF ? ThreadOwner.THREAD_OWNER_THIS_APP : ThreadOwner.THREAD_OWNER_OTHER_APP;
  return {
    known: true,
    lastInboundTime: r.lastInboundMs ? new Date(r.lastInboundMs) : undefined,
    standardWindowEnd: end ? new Date(end) : undefined,
    humanAgentWindowEnd: agentEnd ? new Date(agentEnd) : undefined,
    owner,
    ownerAppId: owner === ThreadOwner.THREAD_OWNER_OTHER_APP && r.owner !== OTHER ? r.owner : '',
    allowed: ALLOWED[allowanceAt(r, nowMs, platform)],
    lastSendTime: r.lastSendMs ? new Date(r.lastSendMs) : undefined,
    receivingSince: since,
    windowRefusedTime: r.windowRefusedMs ? new Date(r.windowRefusedMs) : undefined,
  };
}
