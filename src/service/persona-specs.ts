import type { CreatePersonaRequest, CreatePersonaResponse, DeletePersonaRequest, DeletePersonaResponse, GetPersonaRequest, GetPersonaResponse, ListPersonasRequest, ListPersonasResponse, Persona } from '../../gen/messenger/v1/page';
import { ATTR } from '../telemetry/attribute-names';
import { validateCreatePersona, validateListPersonas, validatePersonaRef } from '../validate/validate-persona';
import type { GraphCallSpec } from './graph-call-spec';

// The Personas API (messenger-platform/send-messages/personas): one spec per Graph call.
// Ownership (a persona of another Page is never shown) is checked by the handlers
// (persona-handlers.ts) before GetPersona and DeletePersona run.

const pageAttrs = (req: { pageId: string }) => ({ [ATTR.PAGE_ID]: req.pageId });

/** `POST /{page-id}/personas` `{name, profile_picture_url}` -> `{id}`. Not retried blindly: a second POST is a second persona. */
export const createPersonaSpec: GraphCallSpec<CreatePersonaRequest, CreatePersonaResponse> = {
  method: 'CreatePersona',
  pageOf: (req) => req.pageId,
  // Meta documents it for Messenger Pages only.
  instagram: 'unavailable',
  validate: validateCreatePersona,
  request: (req) => ({ method: 'POST', path: `/${req.pageId}/personas`, json: { name: req.name, profile_picture_url: req.profilePictureUrl } }),
  fromGraph: (body) => {
    const id = idOf(body.id);
    return id ? { personaId: id } : { malformed: 'no id in the answer' };
  },
  attributes: pageAttrs,
  rateClass: () => 'default',
  safeToRetry: false,
};

/** `GET /{persona-id}` -> `{id, name, profile_picture_url}`. */
export const getPersonaSpec: GraphCallSpec<GetPersonaRequest, GetPersonaResponse> = {
  method: 'GetPersona',
  pageOf: (req) => req.pageId,
  // Meta documents it for Messenger Pages only.
  instagram: 'unavailable',
  validate: validatePersonaRef,
  request: (req) => ({ method: 'GET', path: `/${req.personaId}` }),
  fromGraph: (body) => {
    const persona = personaOf(body);
    return persona ? { persona } : { malformed: 'no id in the answer' };
  },
  attributes: pageAttrs,
  rateClass: () => 'default',
  safeToRetry: true,
};

/** `GET /{page-id}/personas?limit=&after=` -> `{data: [...], paging: {cursors: {after}, next?}}`. */
export const listPersonasSpec: GraphCallSpec<ListPersonasRequest, ListPersonasResponse> = {
  method: 'ListPersonas',
  pageOf: (req) => req.pageId,
  // Meta documents it for Messenger Pages only.
  instagram: 'unavailable',
  validate: validateListPersonas,
  request: (req) => ({ method: 'GET', path: `/${req.pageId}/personas`, query: listQuery(req) }),
  fromGraph: (body) => {
    if (!Array.isArray(body.data)) return { malformed: 'no data in the answer' };
    const personas = body.data.map(personaOf).filter((p): p is Persona => p !== undefined);
    return { personas, nextCursor: nextCursorOf(body) };
  },
  attributes: pageAttrs,
  rateClass: () => 'default',
  safeToRetry: true,
};

/** `DELETE /{persona-id}` -> `{success: true}`. */
export const deletePersonaSpec: GraphCallSpec<DeletePersonaRequest, DeletePersonaResponse> = {
  method: 'DeletePersona',
  pageOf: (req) => req.pageId,
  // Meta documents it for Messenger Pages only.
  instagram: 'unavailable',
  validate: validatePersonaRef,
  request: (req) => ({ method: 'DELETE', path: `/${req.personaId}` }),
  fromGraph: (body) => ({ success: body.success === true }),
  attributes: pageAttrs,
  rateClass: () => 'default',
  safeToRetry: true,
};

/** A list edge's query: Graph's `limit` and `after`, only when set. */
export function listQuery(req: { limit: number; after: string }): Record<string, string> {
  const q: Record<string, string> = {};
  if (req.limit > 0) q.limit = String(req.limit);
  if (req.after !== '') q.after = req.after;
  return q;
}

/** The cursor of the next page: `paging.cursors.after`, only when Graph says there is a next page. */
export function nextCursorOf(body: Record<string, unknown>): string {
  const paging = body.paging as { cursors?: { after?: unknown }; next?: unknown } | undefined;
  if (typeof paging !== 'object' || paging === null || paging.next === undefined) return '';
  const after = paging.cursors?.after;
  return typeof after === 'string' && after.length <= 1024 ? after : '';
}

function personaOf(v: unknown): Persona | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const id = idOf(o.id);
  if (!id) return undefined;
  return { personaId: id, name: typeof o.name === 'string' ? o.name : '', profilePictureUrl: typeof o.profile_picture_url === 'string' ? o.profile_picture_url : '' };
}

function idOf(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '' && v.length <= 64) return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return undefined;
}
