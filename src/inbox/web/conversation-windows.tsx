// The conversation's messaging windows as Meta (the sandbox) keeps them: the time left in the
// standard 24 h window and in the human agent's 7 days, or how long ago each closed; and a
// control that ages the conversation, to see a window close without waiting a day.
import { useEffect, useState } from 'preact/hooks';
import { ageConversation, getWindows, type ConversationWindows } from './api';

// A customer's message changes the windows and adds an item (the version), but an age from
// elsewhere (`/_sandbox/windows`, a test) does not: they are asked again this often.
const REFRESH_MS = 3_000;
const AGES = ['23h', '25h', '8d'];

/** `3 h 12 min`, `6 d 23 h`, `42 s`: the two largest units. */
export function span(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}

/** `3 h 12 min left`, or `closed 3 h ago`. */
export function left(endsAt: number, now: number): string {
  return endsAt > now ? `${span(endsAt - now)} left` : `closed ${span(now - endsAt)} ago`;
}

export function WindowsBadge({ pageId, psid, version, onError }: { pageId: string; psid: string; version: number; onError: (e: string) => void }) {
  const [windows, setWindows] = useState<{ view: ConversationWindows; fetchedAt: number } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const refresh = () => getWindows(pageId, psid).then((view) => setWindows({ view, fetchedAt: Date.now() }), () => setWindows(undefined));
  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [pageId, psid, version]);
  if (!windows) return null;
  const { view } = windows;
  // Counted on the sandbox's clock, moved on by the time since it answered.
  const now = view.now + (Date.now() - windows.fetchedAt);
  const age = async (ago: string) => {
    setBusy(true);
    try {
      setWindows({ view: await ageConversation(pageId, psid, ago), fetchedAt: Date.now() });
    } catch (e) {
      onError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const open = view.known && view.standardWindowEndsAt! > now;
  return (
    <div class={`windows${view.known && !open ? ' closed' : ''}`} role="status" aria-label="Messaging windows">
      {view.known ? (
        <>
          <span>Standard window: {left(view.standardWindowEndsAt!, now)}</span>
          <span>Human agent: {left(view.humanAgentWindowEndsAt!, now)}</span>
        </>
      ) : (
        <span>Window: no customer action seen yet (Meta lets every send through)</span>
      )}
      <span class="age" role="group" aria-label="Age this conversation">
        Age:
        {AGES.map((a) => (
          <button type="button" key={a} disabled={busy} onClick={() => void age(a)} aria-label={`Age this conversation: last customer action ${a} ago`}>
            {a}
          </button>
        ))}
      </span>
    </div>
  );
}
