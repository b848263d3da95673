import type { PageObjects } from '../sandbox/page-objects';
import type { InboxPage } from './inbox-types';

/** Personas shown per Page: the inbox needs the ones on messages, not a Page's thousands. */
const MAX_PERSONAS_SHOWN = 200;

/** A Page's profile and personas as the inbox shows them. */
export function inboxPage(objects: PageObjects, pageId: string): InboxPage {
  return {
    pageId,
    profile: { ...objects.profile(pageId) },
    personas: objects.personasOf(pageId).slice(-MAX_PERSONAS_SHOWN).map((p) => ({ id: p.id, name: p.name, pictureUrl: p.profile_picture_url })),
  };
}
