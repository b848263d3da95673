import { describe, expect, it } from 'vitest';
import { ConversationStore } from '../../src/inbox/conversation-store';

// The inbox's store honours an unsend: the message's content goes, only the unsent message's own
// mid can be removed, and only the customer's.
const ACCOUNT = '17841400000001001';
const IGSID = '6152382598190001';

describe('ConversationStore, Instagram', () => {
  it('an unsend removes the content of that customer message and keeps a removed item; a retry changes nothing', () => {
    const store = new ConversationStore();
    store.onCustomerMessage({ at: 1, pageId: ACCOUNT, psid: IGSID, mid: 'aWdf1', text: 'my address is 12 Main St', instagram: true });
    store.onCustomerMessage({ at: 2, pageId: ACCOUNT, psid: IGSID, mid: 'aWdf2', text: 'nice', storyReply: { id: 's1', url: 'https://lookaside.fbsbx.com/s1' }, instagram: true });
    store.onCustomerMessage({ at: 3, pageId: ACCOUNT, psid: IGSID, mid: 'aWdf1', unsent: true, instagram: true });
    store.onCustomerMessage({ at: 4, pageId: ACCOUNT, psid: IGSID, mid: 'aWdf1', unsent: true, instagram: true });
    const c = store.get(ACCOUNT, IGSID)!;
    expect(c.instagram).toBe(true);
    expect(c.items).toEqual([
      { id: 1, at: 1, from: 'customer', mid: 'aWdf1', removed: true },
      expect.objectContaining({ mid: 'aWdf2', text: 'nice', storyReply: { id: 's1', url: 'https://lookaside.fbsbx.com/s1' } }),
    ]);
    expect(JSON.stringify(store.list())).not.toContain('12 Main St');
    expect(store.list()[0]).toMatchObject({ instagram: true });
  });

  it('an unsend without a mid removes nothing (not a message that came without one)', () => {
    const store = new ConversationStore();
    store.onCustomerMessage({ at: 1, pageId: ACCOUNT, psid: IGSID, mid: '', text: 'no mid', instagram: true });
    store.onCustomerMessage({ at: 2, pageId: ACCOUNT, psid: IGSID, mid: '', unsent: true, instagram: true });
    expect(store.get(ACCOUNT, IGSID)!.items).toEqual([{ id: 1, at: 1, from: 'customer', mid: '', text: 'no mid' }]);
  });

  it("a send on the linked Page to someone who wrote to the Instagram account joins the Instagram conversation; an unsend never removes the account's message", () => {
    const store = new ConversationStore();
    store.onCustomerMessage({ at: 1, pageId: ACCOUNT, psid: IGSID, mid: 'aWdf1', text: 'hi', instagram: true });
    store.onSend({ at: 2, pageId: '1001', body: { recipient: { id: IGSID }, message: { text: 'hello' } }, outcome: { kind: 'ok', recipientId: IGSID, messageId: 'm_page' } });
    store.onCustomerMessage({ at: 3, pageId: ACCOUNT, psid: IGSID, mid: 'm_page', unsent: true, instagram: true });
    expect(store.list()).toHaveLength(1);
    expect(store.get(ACCOUNT, IGSID)!.items.map((i) => [i.from, i.mid, i.removed ?? false])).toEqual([['customer', 'aWdf1', false], ['page', 'm_page', false]]);
  });
});
