// The Instagram account the sandbox's Instagram customer writes to by default
// (`npm run customer -- --instagram`). Any numeric id works on the sandbox; this one is named so
// that the documentation and the demos agree.

/** An Instagram professional account id, as Meta's webhooks name it (`entry[].id`). */
export const DEMO_INSTAGRAM_ACCOUNT = '17841400000001001';

/**
 * A story's media URL shaped as Meta's CDN gives it (lookaside, signed), for a story the sandbox
 * customer replies to or mentions the account in. It loads nothing: as on Instagram once a story
 * expires, the inbox then shows that the story is no longer available.
 */
export function sandboxStoryUrl(storyId: string): string {
  return `https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=${encodeURIComponent(storyId)}&signature=sandbox`;
}
