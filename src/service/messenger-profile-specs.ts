import type {
  DeleteMessengerProfileRequest, DeleteMessengerProfileResponse, GetMessengerProfileRequest, GetMessengerProfileResponse,
  SetMessengerProfileRequest, SetMessengerProfileResponse,
} from '../../gen/messenger/v1/page';
import { fromGraphProfile, toGraphProfile } from '../graph/messenger-profile-json';
import { ATTR } from '../telemetry/attribute-names';
import { PROFILE_FIELDS, validateDeleteMessengerProfile, validateGetMessengerProfile, validateSetMessengerProfile } from '../validate/validate-messenger-profile';
import type { GraphCallSpec } from './graph-call-spec';

// The Messenger Profile API (messenger-platform/reference/messenger-profile-api): one spec per
// Graph call. Every call counts against the Page's budget, taken by the handlers
// (messenger-profile-handlers.ts) before the core runs.

const pageAttrs = (req: { pageId: string }) => ({ [ATTR.PAGE_ID]: req.pageId });

/** `GET /{page-id}/messenger_profile?fields=a,b` -> `{data: [{...properties}]}`; no fields asks for every property. */
export const getMessengerProfileSpec: GraphCallSpec<GetMessengerProfileRequest, GetMessengerProfileResponse> = {
  method: 'GetMessengerProfile',
  pageOf: (req) => req.pageId,
  validate: validateGetMessengerProfile,
  request: (req) => ({ method: 'GET', path: `/${req.pageId}/messenger_profile`, query: { fields: (req.fields.length > 0 ? req.fields : PROFILE_FIELDS).join(',') } }),
  fromGraph: (body) => {
    if (!Array.isArray(body.data)) return { malformed: 'no data in the answer' };
    // Graph answers one item holding the set properties, or an empty list when none is set.
    const first: unknown = body.data[0];
    const props = typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : {};
    return { profile: fromGraphProfile(props) };
  },
  attributes: pageAttrs,
  rateClass: () => 'default',
  safeToRetry: true,
};

/** `POST /{page-id}/messenger_profile` with the properties set -> `{result: "success"}`. Setting the same value twice changes nothing, but a retry spends budget: only retried when Graph certainly did not act. */
export const setMessengerProfileSpec: GraphCallSpec<SetMessengerProfileRequest, SetMessengerProfileResponse> = {
  method: 'SetMessengerProfile',
  pageOf: (req) => req.pageId,
  validate: validateSetMessengerProfile,
  request: (req) => ({ method: 'POST', path: `/${req.pageId}/messenger_profile`, json: toGraphProfile(req) }),
  fromGraph: (body) => ({ result: typeof body.result === 'string' ? body.result : '' }),
  attributes: pageAttrs,
  rateClass: () => 'default',
  safeToRetry: false,
};

/** `DELETE /{page-id}/messenger_profile` with `{fields: [...]}` in the body -> `{result: "success"}`. */
export const deleteMessengerProfileSpec: GraphCallSpec<DeleteMessengerProfileRequest, DeleteMessengerProfileResponse> = {
  method: 'DeleteMessengerProfile',
  pageOf: (req) => req.pageId,
  validate: validateDeleteMessengerProfile,
  request: (req) => ({ method: 'DELETE', path: `/${req.pageId}/messenger_profile`, json: { fields: [...req.fields] } }),
  fromGraph: (body) => ({ result: typeof body.result === 'string' ? body.result : '' }),
  attributes: pageAttrs,
  rateClass: () => 'default',
  safeToRetry: true,
};
