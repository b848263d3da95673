// The message ids the sandbox has seen, per Page: Graph refuses a reaction to a message it does
// not know, and so does the sandbox.

/** How many ids are remembered: the oldest are forgotten first, so a long-running sandbox stays bounded. */
export const MAX_KNOWN_MESSAGES = 100_000;

/** Message ids of one sandbox, keyed by Page: the ones it answered sends with, and the customers' ones it was told of. */
export class KnownMessages {
  // A Set keeps insertion order: its first entry is the oldest.
  private readonly ids = new Set<string>();

  constructor(private readonly max = MAX_KNOWN_MESSAGES) {}

  add(pageId: string, mid: string): void {
    const key = `${pageId}/${mid}`;
    this.ids.delete(key);
    this.ids.add(key);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value as string);
  }

  has(pageId: string, mid: string): boolean {
    return this.ids.has(`${pageId}/${mid}`);
  }
}
