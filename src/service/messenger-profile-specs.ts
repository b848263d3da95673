import type {
  DeleteMessengerProfileRequest, DeleteMessengerProfileResponse, GetMessengerProfileRequest, GetMessengerProfileResponse,
  SetMessengerProfileRequest, SetMessengerProfileResponse,
} from '../../gen/messenger/v1/page';
import { fromGraphProfile, toGraphProfile } from '../graph/messenger-profile-json';
import { ATTR } from '../telemetry/attribute-names';
import { INSTAGRAM_PROFILE_PROPERTIES } from '../limits/graph-limits';
import {
  instagramProfileFieldViolations, instagramSetProfileViolations, PROFILE_FIELDS, validateDeleteMessengerProfile, validateGetMessengerProfile,
  validateSetMessengerProfile,
} from '../validate/validate-messenger-profile';
import type { AccountView, GraphCallSpec } from './graph-call-spec';

// The Messenger Profile API (messenger-platform/reference/messenger-profile-api): one spec per
// Graph call. Every call counts against the Page's budget, taken by the handlers
// (messenger-profile-handlers.ts) before the core runs.

/** An Instagram account's profile is asked for with `platform=instagram` (on the linked Page, or its own node). */
function platformParam(account: AccountView): { platform?: 'instagram' } {
  return account.platform === 'instagram' ? { platform: 'instagram' } : {};
}

const pageAttrs = (req: { pageId: string }) => ({ [ATTR.PAGE_ID]: req.pageId });

/** `GET /{page-id}/messenger_profile?fields=a,b` -> `{data: [{...properties}]}`; no fields asks for every property. */
export const getMessengerProfileSpec: GraphCallSpec<GetMessengerProfileRequest, GetMessengerProfileResponse> = {
  method: 'GetMessengerProfile',
  pageOf: (req) => req.pageId,
  validate: validateGetMessengerProfile,
  instagram: (req) => instagramProfileFieldViolations(req.fields),
  request: (req, account) => ({
    method: 'GET',
    path: `/${req.pageId}/messenger_profile`,
    query: {
      fields: (req.fields.length > 0 ? req.fields : account.platform === 'instagram' ? INSTAGRAM_PROFILE_PROPERTIES : PROFILE_FIELDS).join(','),
      ...platformParam(account),
    },
  }),
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
  instagram: instagramSetProfileViolations,
  request: (req, account) => ({ method: 'POST', path: `/${req.pageId}/messenger_profile`, json: { ...toGraphProfile(req), ...platformParam(account) } }),
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
  instagram: (req) => instagramProfileFieldViolations(req.fields),
  request: (req, account) => ({ method: 'DELETE', path: `/${req.pageId}/messenger_profile`, json: { fields: [...req.fields], ...platformParam(account) } }),
  fromGraph: (body) => ({ result: typeof body.result === 'string' ? body.result : '' }),
  attributes: pageAttrs,
  rateClass: () => 'default',
  safeToRetry: true,
};
