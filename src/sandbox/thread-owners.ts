// Conversation routing as the sandbox plays it: which app owns each conversation of each Page.
// The gateway is one app (SANDBOX_APP_ID); every other id stands for another app (the Page
// Inbox, a live-agent app). While another app owns a conversation, the customer's messages reach
// the gateway under `standby`, as Meta delivers them.

/** The app the gateway is, on the sandbox: the owner of every conversation until it passes one. */
export const SANDBOX_APP_ID = '1000000000000001';

/** A change of owner, as the inbox shows it. */
export interface OwnerChange {
  at: number;
  pageId: string;
  psid: string;
  /** The app that owns the conversation now. */
  ownerAppId: string;
  previousOwnerAppId: string;
}

// Conversations held by another app are the exception; only those are kept, bounded.
const MAX_TRACKED = 100_000;

export class ThreadOwners {
  private readonly others = new Map<string, string>();

  /** The app that owns the conversation of `psid` on `pageId`. */
  ownerOf(pageId: string, psid: string): string {
    return this.others.get(key(pageId, psid)) ?? SANDBOX_APP_ID;
  }

  /** Whether the gateway's app gets this conversation's items only as standby. */
  isStandby(pageId: string, psid: string): boolean {
    return this.others.has(key(pageId, psid));
  }

  /** Hands the conversation to `appId`; the change, or undefined when it already owned it. */
  setOwner(pageId: string, psid: string, appId: string): OwnerChange | undefined {
    const previous = this.ownerOf(pageId, psid);
    if (previous === appId) return undefined;
    const k = key(pageId, psid);
    this.others.delete(k);
    if (appId !== SANDBOX_APP_ID) {
      this.others.set(k, appId);
      if (this.others.size > MAX_TRACKED) this.others.delete(this.others.keys().next().value!);
    }
    return { at: Date.now(), pageId, psid, ownerAppId: appId, previousOwnerAppId: previous };
  }
}

function key(pageId: string, psid: string): string {
  return `${pageId}\u0000${psid}`;
}
