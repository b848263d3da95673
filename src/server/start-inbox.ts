import type { Logger } from '../log/logger';
import { ConversationStore } from '../inbox/conversation-store';
import { startInboxServer, type InboxServer } from '../inbox/inbox-server';
import type { Sandbox } from '../sandbox/sandbox-server';
import { listenErrorOf } from './listen-error';

/** Starts the sandbox inbox on `listen` for a sandbox fed into `store`; an address it cannot use is a ListenError (exit 2). */
export async function startSandboxInbox(listen: string, store: ConversationStore, sandbox: Sandbox, logger: Logger): Promise<InboxServer> {
  let inbox: InboxServer;
  try {
    inbox = await startInboxServer({ listen, store, chaos: sandbox.chaos, sandboxUrl: sandbox.url, objects: sandbox.objects });
  } catch (err) {
    // Only an address it cannot use is the operator's to change (exit 2); anything else (its
    // page's bundle missing from a build, say) is a fault reported as such.
    if (!isBindError(err)) throw err;
    throw listenErrorOf(listen, err, 'inbox');
  }
  logger.info({ inbox: inbox.url }, `sandbox inbox: every message sent, as Messenger shows it, at ${inbox.url}`);
  return inbox;
}

function isBindError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(EADDRINUSE|EADDRNOTAVAIL|EACCES|ENOTFOUND|EAI_AGAIN|EINVAL)$/.test(code);
}
