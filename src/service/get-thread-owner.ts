import type { handleUnaryCall } from '@grpc/grpc-js';
import type { GetThreadOwnerRequest, GetThreadOwnerResponse } from '../../gen/messenger/v1/conversation';
import { fromGraphThreadOwner } from '../graph/from-graph-conversation';
import type { IsPersonId } from '../validate/validate-conversation';
import { validateGetThreadOwner } from '../validate/validate-conversation';
import type { GraphCallSpec } from './graph-call-spec';
import { personAttributes, personIdRule } from './person-id';
import type { ServiceDeps } from './service-deps';
import { unaryGraphCall } from './unary-graph-call';

/** GetThreadOwner: `GET /{page-id}/thread_owner?recipient={psid}`; a read, so retried where it failed. */
export function getThreadOwnerSpec(isPersonId: IsPersonId): GraphCallSpec<GetThreadOwnerRequest, GetThreadOwnerResponse> {
  return {
    method: 'GetThreadOwner',
    pageOf: (req) => req.pageId,
    validate: (req, isPageConfigured) => validateGetThreadOwner(req, isPageConfigured, isPersonId),
    request: (req) => ({ method: 'GET', path: `/${req.pageId}/thread_owner`, query: { recipient: req.recipientId } }),
    fromGraph: fromGraphThreadOwner,
    rateClass: () => 'default',
    safeToRetry: true,
    // Graph's word on the owner; recorded only once the Page's own app id is known (else this
    // app's own id could pass for another's and refuse its sends).
    teaches: (req, res, nowMs) => (res.appId ? { pageId: req.pageId, person: req.recipientId, owner: res.appId, ownerMs: nowMs, ownerIfSelfKnown: true } : undefined),
    attributes: (req, recordRecipient) => personAttributes(req.pageId, req.recipientId, recordRecipient),
  };
}

/** `GetThreadOwner`. */
export function getThreadOwnerHandler(deps: ServiceDeps): handleUnaryCall<GetThreadOwnerRequest, GetThreadOwnerResponse> {
  return unaryGraphCall(deps, getThreadOwnerSpec(personIdRule(deps.sandbox)));
}
