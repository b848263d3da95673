import type { handleUnaryCall } from '@grpc/grpc-js';
import type {
  CreatePersonaRequest, CreatePersonaResponse, DeletePersonaRequest, DeletePersonaResponse,
  GetPersonaRequest, GetPersonaResponse, ListPersonasRequest, ListPersonasResponse,
} from '../../gen/messenger/v1/page';
import { guardedGraphCall } from './guarded-graph-call';
import type { PageServiceDeps } from './page-service-deps';
import { createPersonaSpec, deletePersonaSpec, getPersonaSpec, listPersonasSpec } from './persona-specs';

/** The persona RPCs: creations and lists teach the gateway which Page owns which persona; reads and deletes check it first. */
export function personaHandlers(deps: PageServiceDeps): {
  createPersona: handleUnaryCall<CreatePersonaRequest, CreatePersonaResponse>;
  getPersona: handleUnaryCall<GetPersonaRequest, GetPersonaResponse>;
  listPersonas: handleUnaryCall<ListPersonasRequest, ListPersonasResponse>;
  deletePersona: handleUnaryCall<DeletePersonaRequest, DeletePersonaResponse>;
} {
  const owned = (req: { pageId: string; personaId: string }, bounds: Parameters<typeof deps.personas.check>[3], trace: Parameters<typeof deps.personas.check>[4]) =>
    deps.personas.check(deps, req.pageId, req.personaId, bounds, trace);
  return {
    createPersona: guardedGraphCall(deps, createPersonaSpec, { after: (req, res) => deps.personas.remember(req.pageId, res.personaId) }),
    getPersona: guardedGraphCall(deps, getPersonaSpec, { before: owned }),
    listPersonas: guardedGraphCall(deps, listPersonasSpec, { after: (req, res) => res.personas.forEach((p) => deps.personas.remember(req.pageId, p.personaId)) }),
    deletePersona: guardedGraphCall(deps, deletePersonaSpec, { before: owned, after: (req) => deps.personas.forget(req.personaId) }),
  };
}
