import type { CallBudget } from '../delivery/call-budget';
import type { ServiceDeps } from './service-deps';
import type { PersonaOwnership } from './persona-ownership';

/** What PageService's handlers need beyond a send's: the Page's profile budget and which Page owns which persona. */
export interface PageServiceDeps extends ServiceDeps {
  /** Meta's Messenger Profile quota (10 calls per 10 minutes per Page), shared by replicas through Redis when configured. */
  profileBudget: CallBudget;
  personas: PersonaOwnership;
}
