import type { handleUnaryCall } from '@grpc/grpc-js';
import type { Span } from '@opentelemetry/api';
import type { CallBounds } from '../call/bounds';
import { annotateRequest } from '../telemetry/send-span';
import { redactStrings } from '../redaction/secret-redaction';
import { UserProfile, type GetUserProfileRequest, type GetUserProfileResponse } from '../../gen/messenger/v1/conversation';
import { profileCacheKey, type ProfileCache } from '../delivery/profile-cache';
import { fromGraphUserProfile } from '../graph/from-graph-conversation';
import { DEFAULT_INSTAGRAM_USER_PROFILE_FIELDS, DEFAULT_USER_PROFILE_FIELDS, INSTAGRAM_USER_PROFILE_FIELDS } from '../limits/graph-limits';
import type { Platform } from '../config/gateway-config';
import type { FieldViolation } from '../validate/field-violation';
import type { IsPersonId } from '../validate/validate-conversation';
import { validateGetUserProfile } from '../validate/validate-conversation';
import type { CallResult } from './call-result';
import { startGraphCall, storeUnavailable } from './graph-call';
import type { GraphCallSpec } from './graph-call-spec';
import { personAttributes, personIdRule } from './person-id';
import { unaryEdge } from './rpc-edge';
import type { ServiceDeps } from './service-deps';

/** The fields asked of Graph: the request's, or what a greeting needs (an IGSID's own fields on Instagram). */
function fieldsOf(req: GetUserProfileRequest, platform: Platform = 'messenger'): readonly string[] {
  if (req.fields.length > 0) return req.fields;
  return platform === 'instagram' ? DEFAULT_INSTAGRAM_USER_PROFILE_FIELDS : DEFAULT_USER_PROFILE_FIELDS;
}

/** The fields a PSID has and an IGSID lacks. */
function instagramProfileViolations(req: GetUserProfileRequest): FieldViolation[] {
  const out: FieldViolation[] = [];
  for (let i = 0; i < req.fields.length && i < 100; i++) {
    if (!INSTAGRAM_USER_PROFILE_FIELDS.includes(req.fields[i])) {
      out.push({ field: `fields[${i}]`, description: `${req.fields[i]} is not available for an Instagram-scoped id: ask for ${INSTAGRAM_USER_PROFILE_FIELDS.join(', ')}` });
    }
  }
  return out;
}

/**
 * GetUserProfile: `GET /{psid}?fields=...` with the Page's token. A read: retried where it
 * failed. It draws from the Page's bucket (default class), as Meta counts it against the Page.
 */
export function getUserProfileSpec(isPersonId: IsPersonId, recordRecipient = false): GraphCallSpec<GetUserProfileRequest, GetUserProfileResponse> {
  return {
    method: 'GetUserProfile',
    pageOf: (req) => req.pageId,
    validate: (req, isPageConfigured) => validateGetUserProfile(req, isPageConfigured, isPersonId),
    instagram: instagramProfileViolations,
    // The PSID is the path: the client span shows a placeholder unless recipients are recorded.
    request: (req, account) => ({ method: 'GET', path: `/${req.recipientId}`, query: { fields: fieldsOf(req, account.platform).join(',') }, ...(recordRecipient ? {} : { shownPath: '/{psid}' }) }),
    fromGraph: (body) => {
      const profile = fromGraphUserProfile(body);
      return 'malformed' in profile ? profile : { profile, fromCache: false };
    },
    rateClass: () => 'default',
    safeToRetry: true,
    attributes: (req, recordRecipient) => personAttributes(req.pageId, req.recipientId, recordRecipient),
  };
}

/**
 * `GetUserProfile`: the cache first (per Page, person and fields), then Graph through the core;
 * a profile Graph returned is cached. A refused request never reads the cache, so an invalid
 * request answers the same whether or not a profile is cached.
 */
export function getUserProfileHandler(deps: ServiceDeps, cache: ProfileCache): handleUnaryCall<GetUserProfileRequest, GetUserProfileResponse> {
  const spec = getUserProfileSpec(personIdRule(deps.sandbox), deps.recordRecipient);
  return unaryEdge<GetUserProfileRequest, GetUserProfileResponse>(
    deps,
    { name: spec.method, recover: (err, span) => storeUnavailable(deps, spec.method, err, span) },
    spec.pageOf,
    (call, bounds, span) => {
      const req = call.request;
      if (spec.validate(req, deps.pages.has).length > 0) return startGraphCall(deps, spec, req, '', bounds, { span, parent: span });
      return lookUp(deps, spec, cache, req, bounds, span);
    },
  );
}

async function lookUp(
  deps: ServiceDeps,
  spec: GraphCallSpec<GetUserProfileRequest, GetUserProfileResponse>,
  cache: ProfileCache,
  req: GetUserProfileRequest,
  bounds: CallBounds,
  span: Span | undefined,
): Promise<CallResult<GetUserProfileResponse>> {
  const key = profileCacheKey(req.pageId, req.recipientId, fieldsOf(req, deps.pages.platformOf(req.pageId)));
  const cached = await cache.get(key);
  if (cached) {
    let profile: UserProfile | undefined;
    try {
      profile = UserProfile.decode(cached);
    } catch {
      profile = undefined; // an entry that does not decode is a miss
    }
    if (profile) {
      // The span says who was looked up even when Graph was not asked.
      if (span) annotateRequest(span, spec.attributes(req, deps.recordRecipient), undefined);
      return { ok: true, response: { profile, fromCache: true }, replayed: false };
    }
  }
  const result = await startGraphCall(deps, spec, req, '', bounds, { span, parent: span });
  // Redacted before it is kept: with Redis the cache is outside the process, as the idempotency
  // store is (and a cached answer is redacted again at the edge anyway).
  if (result.ok && result.response.profile) await cache.set(key, UserProfile.encode(redactStrings(result.response.profile)).finish());
  return result;
}
