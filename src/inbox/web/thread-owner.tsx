// Who owns the conversation (conversation routing): the bot behind the gateway, the Page Inbox
// (a person in Meta Business Suite) or another app; and the Page Inbox's own moves, played here.
import { useEffect, useState } from 'preact/hooks';
import { getThreadOwner, moveThread, type ThreadOwner } from './api';

const PAGE_INBOX_APP_ID = '263902037430900';
// The gateway's pass and take add no message to the conversation, so nothing else tells the
// page of them: the owner is asked again this often while the conversation is open.
const REFRESH_MS = 3_000;

export function ownerLabel(owner: ThreadOwner): string {
  if (!owner.standby) return 'the bot (this gateway)';
  return owner.ownerAppId === PAGE_INBOX_APP_ID ? 'the Page Inbox (a person)' : `app ${owner.ownerAppId}`;
}

export function ThreadOwnerBadge({ pageId, psid, version, onError }: { pageId: string; psid: string; version: number; onError: (e: string) => void }) {
  const [owner, setOwner] = useState<ThreadOwner | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const refresh = () => getThreadOwner(pageId, psid).then(setOwner, () => setOwner(undefined));
  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [pageId, psid, version]);
  if (!owner) return null;
  const move = async () => {
    setBusy(true);
    try {
      await moveThread(pageId, psid, owner.standby ? 'pass' : 'take');
      await refresh();
    } catch (e) {
      onError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class={`thread-owner${owner.standby ? ' standby' : ''}`} role="status" aria-label="Who owns the conversation">
      <span>Handled by {ownerLabel(owner)}</span>
      <button type="button" disabled={busy} onClick={() => void move()}>
        {owner.standby ? 'Hand back to the bot' : 'Take as the Page Inbox'}
      </button>
    </div>
  );
}
