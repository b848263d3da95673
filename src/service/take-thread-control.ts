import type { handleUnaryCall } from '@grpc/grpc-js';
import { TakeThreadControlRequest, TakeThreadControlResponse } from '../../gen/messenger/v1/conversation';
import { fromGraphSuccess } from '../graph/from-graph-conversation';
import { toGraphThreadControlBody } from '../graph/to-graph-conversation';
import type { IsPersonId } from '../validate/validate-conversation';
import { validateTakeOrRequestThreadControl } from '../validate/validate-conversation';
import { SELF } from '../conversations/conversation-record';
import type { GraphCallSpec } from './graph-call-spec';
import { personAttributes, personIdRule } from './person-id';
import type { ServiceDeps } from './service-deps';
import { unaryGraphCall } from './unary-graph-call';

/**
 * TakeThreadControl: `POST /{page-id}/take_thread_control`. Takes the conversation back from the app that owns it: it acts, so it is
 * not repeated blindly; an idempotency key as sends have.
 */
export function takeThreadControlSpec(isPersonId: IsPersonId): GraphCallSpec<TakeThreadControlRequest, TakeThreadControlResponse> {
  return {
    method: 'TakeThreadControl',
    pageOf: (req) => req.pageId,
    validate: (req, isPageConfigured) => validateTakeOrRequestThreadControl(req, isPageConfigured, isPersonId),
    request: (req) => ({ method: 'POST', path: `/${req.pageId}/take_thread_control`, json: toGraphThreadControlBody(req) }),
    fromGraph: fromGraphSuccess,
    rateClass: () => 'default',
    safeToRetry: false,
    idempotency: {
      fingerprint: (req) => TakeThreadControlRequest.encode({ ...req, idempotencyKey: '' }).finish(),
      responseCodec: TakeThreadControlResponse,
    },
    // Taken: this app owns it now.
    teaches: (req, res, nowMs) => (res.success ? { pageId: req.pageId, person: req.recipientId, owner: SELF, ownerMs: nowMs } : undefined),
    attributes: (req, recordRecipient) => personAttributes(req.pageId, req.recipientId, recordRecipient),
  };
}

/** `TakeThreadControl`. */
export function takeThreadControlHandler(deps: ServiceDeps): handleUnaryCall<TakeThreadControlRequest, TakeThreadControlResponse> {
  return unaryGraphCall(deps, takeThreadControlSpec(personIdRule(deps.sandbox)));
}
