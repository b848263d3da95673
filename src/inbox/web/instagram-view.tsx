// Instagram's own parts of a conversation, drawn as Instagram draws them: the story a message
// replies to (above the message), a story mention, a shared post, an unsent message. A story's
// media is shown from its CDN URL only (Meta forbids keeping it); once the URL stops rendering
// (the story expired or was deleted) a placeholder says so, as Meta asks.
import { useState } from 'preact/hooks';
import type { InboxItem } from '../inbox-types';
import { linkable } from './linkable';

/** The story's media from its CDN URL, or the placeholder once it no longer renders. */
function StoryMedia({ url, label }: { url: string; label: string }) {
  const [gone, setGone] = useState(false);
  const src = linkable(url);
  if (!src || gone) return <div class="ig-story-gone" role="img" aria-label={`${label}: no longer available`}>Story unavailable</div>;
  return <img class="ig-story-media" src={src} alt={label} referrerpolicy="no-referrer" onError={() => setGone(true)} />;
}

/** Above a customer's message that replies to the account's story. */
export function StoryReplyHeader({ story }: { story: NonNullable<InboxItem['storyReply']> }) {
  return (
    <div class="ig-story-reply" aria-label="replied to your story">
      <span class="ig-caption">Replied to your story</span>
      <StoryMedia url={story.url} label="your story" />
    </div>
  );
}

/** A customer's message that is not text: a story mention, a shared post, or what was unsent. */
export function InstagramBody({ item }: { item: InboxItem }) {
  if (item.removed) return <p class="bubble-text ig-removed" aria-label="unsent message">Unsent a message</p>;
  if (item.storyMention)
    return (
      <div class="ig-mention" aria-label="mentioned you in their story">
        <span class="ig-caption">Mentioned you in their story</span>
        <StoryMedia url={item.storyMention.url} label="their story" />
      </div>
    );
  if (item.sharedPost) {
    const href = linkable(item.sharedPost.url);
    return (
      <div class="ig-post" aria-label="shared post">
        <div class="ig-post-head">Shared a post</div>
        {href ? <img class="ig-post-media" src={href} alt="shared post" referrerpolicy="no-referrer" /> : null}
        {item.sharedPost.title ? <p class="ig-post-caption">{item.sharedPost.title}</p> : null}
      </div>
    );
  }
  return null;
}

/** Whether the item is drawn by {@link InstagramBody} instead of a text bubble. */
export function isInstagramBody(item: InboxItem): boolean {
  return item.removed === true || item.storyMention !== undefined || item.sharedPost !== undefined;
}
