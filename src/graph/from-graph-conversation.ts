import type { GetThreadOwnerResponse, UserProfile } from '../../gen/messenger/v1/conversation';
import type { Malformed } from './from-graph';

// Graph's ids and names have tens of characters; far longer values are not passed on.
const MAX_STRING = 2048;

/** `{success: true}`, Graph's answer to pass, take and request; anything else is no success. */
export function fromGraphSuccess(body: Record<string, unknown>): { success: boolean } | Malformed {
  return body.success === true ? { success: true } : { malformed: 'no success: true in the answer' };
}

/** `{data: [{thread_owner: {app_id}}]}`. */
export function fromGraphThreadOwner(body: Record<string, unknown>): GetThreadOwnerResponse | Malformed {
  const first: unknown = Array.isArray(body.data) ? body.data[0] : undefined;
  const owner = isRecord(first) && isRecord(first.thread_owner) ? first.thread_owner : undefined;
  const appId = owner ? idText(owner.app_id) : undefined;
  return appId ? { appId } : { malformed: 'no data[0].thread_owner.app_id in the answer' };
}

/** A User Profile API answer, typed; a field of the wrong type is left out rather than guessed. */
export function fromGraphUserProfile(body: Record<string, unknown>): UserProfile | Malformed {
  const profile: UserProfile = {};
  const id = idText(body.id);
  if (id !== undefined) profile.id = id;
  for (const [key, field] of STRING_FIELDS) {
    const v = body[key];
    if (typeof v === 'string' && v.length <= MAX_STRING) profile[field] = v;
  }
  if (typeof body.timezone === 'number' && Number.isFinite(body.timezone)) profile.timezone = body.timezone;
  if (typeof body.follower_count === 'number' && Number.isSafeInteger(body.follower_count)) profile.followerCount = String(body.follower_count);
  if (typeof body.is_user_follow_business === 'boolean') profile.isUserFollowBusiness = body.is_user_follow_business;
  if (typeof body.is_business_follow_user === 'boolean') profile.isBusinessFollowUser = body.is_business_follow_user;
  return profile;
}

const STRING_FIELDS: ReadonlyArray<readonly [string, 'name' | 'firstName' | 'lastName' | 'profilePic' | 'locale' | 'gender' | 'username']> = [
  ['name', 'name'], ['first_name', 'firstName'], ['last_name', 'lastName'], ['profile_pic', 'profilePic'],
  ['locale', 'locale'], ['gender', 'gender'], ['username', 'username'],
];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Ids are opaque strings; Graph has sent some as numbers. */
function idText(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '' && v.length <= MAX_STRING) return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return undefined;
}
