import type { CreatePersonaRequest, DeletePersonaRequest, GetPersonaRequest, ListPersonasRequest } from '../../gen/messenger/v1/page';
import { LIST_LIMIT_MAX, PERSONA_NAME_MAX } from '../limits/graph-limits';
import type { FieldViolation } from './field-violation';
import { checkRequiredMax, checkUrl, isNumericId, shown } from './field-checks';
import { checkPageId, type IsPageConfigured } from './validate-page-id';
import { ViolationList } from './violation-list';

/** CreatePersona: a name of at most 50 characters and an https picture. */
export function validateCreatePersona(req: CreatePersonaRequest, isPageConfigured: IsPageConfigured): FieldViolation[] {
  const out = new ViolationList();
  checkPageId(out, 'page_id', req.pageId, isPageConfigured);
  checkRequiredMax(out, 'name', req.name, PERSONA_NAME_MAX);
  checkUrl(out, 'profile_picture_url', req.profilePictureUrl, { required: true, httpsOnly: true });
  return out.items;
}

/** GetPersona and DeletePersona: the Page and a numeric persona id. */
export function validatePersonaRef(req: GetPersonaRequest | DeletePersonaRequest, isPageConfigured: IsPageConfigured): FieldViolation[] {
  const out = new ViolationList();
  checkPageId(out, 'page_id', req.pageId, isPageConfigured);
  checkPersonaId(out, req.personaId);
  return out.items;
}

/** ListPersonas: the Page and a page size Graph accepts. */
export function validateListPersonas(req: ListPersonasRequest, isPageConfigured: IsPageConfigured): FieldViolation[] {
  const out = new ViolationList();
  checkPageId(out, 'page_id', req.pageId, isPageConfigured);
  checkListLimit(out, req.limit);
  return out.items;
}

/** A list edge's `limit`: 0 (Graph's default) to 100. */
export function checkListLimit(out: ViolationList, limit: number): void {
  if (limit < 0 || limit > LIST_LIMIT_MAX) out.add('limit', `must be from 0 to ${LIST_LIMIT_MAX} (got ${limit})`);
}

function checkPersonaId(out: ViolationList, personaId: string): void {
  if (personaId === '') out.add('persona_id', 'is required');
  else if (personaId.length > 32 || !isNumericId(personaId)) out.add('persona_id', `must be a numeric persona id (got "${shown(personaId)}")`);
}
