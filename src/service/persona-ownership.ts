import { status } from '@grpc/grpc-js';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import type { ListPersonasResponse } from '../../gen/messenger/v1/page';
import type { CallBounds } from '../call/bounds';
import { gatewayFailure } from '../errors/failure';
import { failed, type CallResult } from './call-result';
import { runGraphCall, type CallTrace } from './graph-call';
import type { ServiceDeps } from './service-deps';
import { listPersonasSpec } from './persona-specs';

/** Personas remembered per replica; past this the oldest are forgotten (and looked up again). */
const MAX_REMEMBERED = 10_000;
/** Pages of the Page's list walked to find a persona: 10 x 100 personas. */
const MAX_LOOKUP_PAGES = 10;

/**
 * Which Page a persona belongs to. Graph's `GET /{persona-id}` names no Page, and in sandbox mode
 * (or with a token that can read more than one Page) nothing stops it from answering another
 * Page's persona; so before GetPersona or DeletePersona the gateway finds the persona in the
 * Page's own list (`GET /{page-id}/personas`). What Graph's lists and creations show is
 * remembered here (a bounded map per replica, only a shortcut: a miss is looked up again), so
 * a persona created or listed through this replica needs no lookup.
 */
export class PersonaOwnership {
  private readonly owner = new Map<string, string>();

  /** The persona belongs to the Page (Graph said so: it created or listed it). */
  remember(pageId: string, personaId: string): void {
    this.owner.delete(personaId);
    this.owner.set(personaId, pageId);
    if (this.owner.size > MAX_REMEMBERED) this.owner.delete(this.owner.keys().next().value!);
  }

  forget(personaId: string): void {
    this.owner.delete(personaId);
  }

  /**
   * undefined when the persona is the Page's; else the answer to give instead (PERSONA_NOT_FOUND,
   * or the failure of the lookup). Each lookup call is a Graph call of the core (limits, retries).
   */
  async check(deps: ServiceDeps, pageId: string, personaId: string, bounds: CallBounds, trace: CallTrace): Promise<CallResult<never> | undefined> {
    const known = this.owner.get(personaId);
    if (known === pageId) return undefined;
    if (known !== undefined) return notFound(pageId, personaId);
    let after = '';
    for (let page = 0; page < MAX_LOOKUP_PAGES; page++) {
      const listed: CallResult<ListPersonasResponse> = await runGraphCall(deps, listPersonasSpec, { pageId, limit: 100, after }, '', bounds, { span: undefined, parent: trace.parent });
      if (!listed.ok) return listed;
      for (const p of listed.response.personas) this.remember(pageId, p.personaId);
      if (this.owner.get(personaId) === pageId) return undefined;
      after = listed.response.nextCursor;
      if (after === '') break;
    }
    return notFound(pageId, personaId);
  }
}

function notFound(pageId: string, personaId: string): CallResult<never> {
  return failed(gatewayFailure(status.NOT_FOUND, ErrorReason.PERSONA_NOT_FOUND, `persona ${personaId} is not one of page ${pageId}'s personas; nothing was read or changed`));
}
