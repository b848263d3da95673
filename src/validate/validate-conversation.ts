import type {
  GetThreadOwnerRequest,
  GetUserProfileRequest,
  PassThreadControlRequest,
  RequestThreadControlRequest,
  TakeThreadControlRequest,
} from '../../gen/messenger/v1/conversation';
import { HANDOVER_METADATA_MAX, USER_PROFILE_FIELDS } from '../limits/graph-limits';
import type { FieldViolation } from './field-violation';
import { checkMaxChars, isNumericId, shown } from './field-checks';
import { checkPageId, type IsPageConfigured } from './validate-page-id';
import { ViolationList } from './violation-list';

/**
 * Whether a value may stand as a person's id: Graph's ids are digits; in sandbox mode the
 * sandbox's magic values (`error-100`, ...) pass too, so that its failures can be played.
 */
export type IsPersonId = (value: string) => boolean;

// Far above any Graph id (tens of digits): a longer value is refused without being echoed whole.
const MAX_ID = 64;

function checkId(out: ViolationList, field: string, value: string, isPersonId: IsPersonId, what: string): void {
  if (value === '') out.add(field, 'is required');
  else if (value.length > MAX_ID || !isPersonId(value)) out.add(field, `must be a numeric ${what} (got "${shown(value)}")`);
}

function checkMetadata(out: ViolationList, value: string): void {
  checkMaxChars(out, 'metadata', value, HANDOVER_METADATA_MAX);
}

/** A thread-control request (pass, take, request): its rules but the target app. */
function checkThreadRequest(out: ViolationList, req: { pageId: string; recipientId: string; metadata: string }, isPageConfigured: IsPageConfigured, isPersonId: IsPersonId): void {
  checkPageId(out, 'page_id', req.pageId, isPageConfigured);
  checkId(out, 'recipient_id', req.recipientId, isPersonId, 'PSID');
  checkMetadata(out, req.metadata);
}

/** Every rule a PassThreadControlRequest breaks; [] when valid. */
export function validatePassThreadControl(req: PassThreadControlRequest, isPageConfigured: IsPageConfigured, isPersonId: IsPersonId): FieldViolation[] {
  const out = new ViolationList();
  checkThreadRequest(out, req, isPageConfigured, isPersonId);
  // An app id is Graph's, never magic: the sandbox's failures are played through the recipient.
  checkId(out, 'target_app_id', req.targetAppId, isNumericId, 'app id (the Page Inbox is 263902037430900)');
  return out.items;
}

/** Every rule a TakeThreadControlRequest or RequestThreadControlRequest breaks; [] when valid. */
export function validateTakeOrRequestThreadControl(req: TakeThreadControlRequest | RequestThreadControlRequest, isPageConfigured: IsPageConfigured, isPersonId: IsPersonId): FieldViolation[] {
  const out = new ViolationList();
  checkThreadRequest(out, req, isPageConfigured, isPersonId);
  return out.items;
}

/** Every rule a GetThreadOwnerRequest breaks; [] when valid. */
export function validateGetThreadOwner(req: GetThreadOwnerRequest, isPageConfigured: IsPageConfigured, isPersonId: IsPersonId): FieldViolation[] {
  const out = new ViolationList();
  checkPageId(out, 'page_id', req.pageId, isPageConfigured);
  checkId(out, 'recipient_id', req.recipientId, isPersonId, 'PSID');
  return out.items;
}

/** Every rule a GetUserProfileRequest breaks; [] when valid. */
export function validateGetUserProfile(req: GetUserProfileRequest, isPageConfigured: IsPageConfigured, isPersonId: IsPersonId): FieldViolation[] {
  const out = new ViolationList();
  checkPageId(out, 'page_id', req.pageId, isPageConfigured);
  checkId(out, 'recipient_id', req.recipientId, isPersonId, 'PSID or Instagram-scoped id');
  if (req.fields.length > USER_PROFILE_FIELDS.length) {
    out.add('fields', `at most ${USER_PROFILE_FIELDS.length} fields (got ${req.fields.length})`);
    return out.items;
  }
  const seen = new Set<string>();
  req.fields.forEach((field, i) => {
    if (!(USER_PROFILE_FIELDS as readonly string[]).includes(field)) {
      out.add(`fields[${i}]`, `must be one of ${USER_PROFILE_FIELDS.join(', ')} (got "${shown(field)}")`);
    } else if (seen.has(field)) {
      out.add(`fields[${i}]`, `"${field}" is named twice`);
    }
    seen.add(field);
  });
  return out.items;
}
