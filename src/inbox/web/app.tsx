// The sandbox inbox: every conversation the sandbox saw, drawn as Messenger (or, for an Instagram
// account, Instagram) draws it, live.
import { Fragment, render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { InboxChaos, InboxConversation, InboxEvent, InboxPage, InboxSummary } from '../inbox-types';
import * as api from './api';
import { ChaosPanel } from './chaos-panel';
import { ThreadOwnerBadge } from './thread-owner';
import { WindowsBadge } from './conversation-windows';
import { ItemView, QuickReplies, type Act } from './message-view';
import { PersistentMenu, ProfileIntro } from './page-profile';

const keyFromHash = () => {
  // A hand-edited or truncated hash must not blank the page.
  try {
    return decodeURIComponent(location.hash.replace(/^#\/?/, '')) || undefined;
  } catch {
    return undefined;
  }
};
const wide = () => window.matchMedia('(min-width: 760px)').matches;

function App() {
  // undefined until the first answer: "loading", never "no conversations", before it.
  const [loaded, setLoaded] = useState<InboxSummary[] | undefined>(undefined);
  const summaries = loaded ?? [];
  const [conversations, setConversations] = useState<Record<string, InboxConversation>>({});
  const [selected, setSelected] = useState<string | undefined>(keyFromHash());
  const [chaos, setChaosState] = useState<Record<string, InboxChaos>>({});
  const [pages, setPages] = useState<Record<string, InboxPage>>({});
  const [presets, setPresets] = useState<api.ChaosPreset[]>([]);
  const [live, setLive] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const refreshList = useCallback(async () => {
    try {
      setLoaded(await api.listConversations());
    } catch (e) {
      setError((e as Error).message);
    }
  }, []);

  useEffect(() => {
    void refreshList();
    api.getChaos().then((c) => {
      setChaosState(c.pages);
      setPresets(c.presets);
    }, (e: Error) => setError(e.message));
    const onEvent = (e: InboxEvent) => {
      if (e.type === 'conversation') {
        setConversations((all) => ({ ...all, [e.conversation.key]: e.conversation }));
        void refreshList();
      } else if (e.type === 'cleared') {
        setConversations({});
        void refreshList();
      } else if (e.type === 'page') {
        setPages((all) => ({ ...all, [e.page.pageId]: e.page }));
      } else {
        setChaosState(e.chaos);
      }
    };
    // After a reconnect the list may have changed meanwhile.
    const stop = api.followEvents(onEvent, (ok) => {
      setLive(ok);
      if (ok) void refreshList();
    });
    const onHash = () => setSelected(keyFromHash());
    window.addEventListener('hashchange', onHash);
    return () => {
      stop();
      window.removeEventListener('hashchange', onHash);
    };
  }, [refreshList]);

  // On a wide screen the newest conversation opens by itself.
  useEffect(() => {
    if (selected === undefined && summaries.length > 0 && wide()) setSelected(summaries[0].key);
  }, [summaries, selected]);

  // Load a selected conversation the event stream has not brought yet.
  useEffect(() => {
    if (!selected || conversations[selected]) return;
    const s = summaries.find((x) => x.key === selected);
    if (!s) return;
    api.getConversation(s.pageId, s.recipient).then(
      (c) => setConversations((all) => (all[c.key] ? all : { ...all, [c.key]: c })),
      (e: Error) => setError(e.message),
    );
  }, [selected, summaries, conversations]);

  // A Page's profile and personas, once per Page shown; the event stream keeps them fresh.
  const pageId = summaries.find((x) => x.key === selected)?.pageId;
  useEffect(() => {
    if (!pageId || pages[pageId]) return;
    api.getPage(pageId).then((p) => setPages((all) => (all[p.pageId] ? all : { ...all, [p.pageId]: p })), (e: Error) => setError(e.message));
  }, [pageId, pages]);

  const open = (key: string | undefined) => {
    history.replaceState(null, '', key ? `#${encodeURIComponent(key)}` : '#');
    setSelected(key);
  };
  const summary = summaries.find((s) => s.key === selected);
  const conversation = selected ? conversations[selected] : undefined;

  return (
    <div class={`shell${summary ? ' has-selection' : ''}`}>
      <header class="top">
        <h1>Sandbox inbox</h1>
        <p class="note">What the customer would see. Nothing here was delivered to Messenger.</p>
        <span class={`live${live ? ' on' : ''}`} role="status">{live ? 'live' : 'connecting…'}</span>
        <button type="button" class="clear" onClick={() => api.clearConversations().catch((e: Error) => setError(e.message))}>Clear all</button>
      </header>
      {error && (
        <div class="error" role="alert">
          {error} <button type="button" onClick={() => setError(undefined)} aria-label="Dismiss">×</button>
        </div>
      )}
      <nav class="list" aria-label="Conversations">
        {loaded === undefined ? (
          <p class="loading" role="status">Loading conversations…</p>
        ) : summaries.length === 0 ? (
          <p class="empty">No conversations yet. Send a message through the gateway, for example <code>npm run send -- --page 1001 --to 123 --text hello</code>.</p>
        ) : (
          <ul>
            {summaries.map((s) => (
              <li key={s.key}>
                <button type="button" class={`conv${s.key === selected ? ' selected' : ''}${s.instagram ? ' instagram' : ''}`} aria-current={s.key === selected ? 'true' : undefined} onClick={() => open(s.key)}>
                  <span class="conv-who">
                    {s.instagram && <span class="ig-badge" aria-label="Instagram">IG</span>}
                    {s.instagram ? `Instagram ${s.pageId} · ${s.recipient}` : `Page ${s.pageId} · ${s.recipient}`}
                  </span>
                  <span class="conv-preview">{s.preview}</span>
                  {s.failed > 0 && <span class="conv-failed">{`${s.failed} refused`}</span>}
                </button>
              </li>
            ))}
          </ul>
        )}
      </nav>
      <main class="thread">
        {summary ? (
          <Thread key={summary.key} summary={summary} conversation={conversation} page={pages[summary.pageId]} chaos={chaos[summary.pageId]} presets={presets} onBack={() => open(undefined)} onError={setError} />
        ) : (
          <p class="empty wide-only">{loaded === undefined ? 'Loading…' : 'Choose a conversation.'}</p>
        )}
      </main>
    </div>
  );
}

function Thread(props: { summary: InboxSummary; conversation: InboxConversation | undefined; page: InboxPage | undefined; chaos: InboxChaos | undefined; presets: api.ChaosPreset[]; onBack: () => void; onError: (e: string) => void }) {
  const { summary, conversation } = props;
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const end = useRef<HTMLDivElement>(null);
  const count = conversation?.items.length ?? 0;
  useEffect(() => end.current?.scrollIntoView({ block: 'end' }), [count, conversation?.typing]);

  const act: Act = async (reply) => {
    setBusy(true);
    try {
      await api.replyAsCustomer(summary.pageId, summary.psid, reply);
      return true;
    } catch (e) {
      props.onError((e as Error).message);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!text.trim()) return;
    const sent = await act({ text });
    if (sent) setText('');
  };
  const items = conversation?.items ?? [];
  const last = items[items.length - 1];
  const lastSeenIndex = conversation?.seenAt === undefined ? -1 : items.reduce((found, it, i) => (it.from === 'customer' && it.at <= conversation.seenAt! ? i : found), -1);
  const instagram = summary.instagram === true || conversation?.instagram === true;
  const heading = instagram ? `Instagram account ${summary.pageId} and ${summary.recipient}` : `Page ${summary.pageId} and ${summary.recipient}`;
  return (
    <section class={`conversation${instagram ? ' instagram' : ''}`} aria-label={`Conversation of ${heading}`}>
      <div class="thread-head">
        <button type="button" class="back" onClick={props.onBack} aria-label="Back to the conversations">‹</button>
        {instagram && <span class="ig-badge" aria-label="Instagram">IG</span>}
        <h2>{heading}</h2>
        <ChaosPanel pageId={summary.pageId} chaos={props.chaos} presets={props.presets} onError={props.onError} />
        <ThreadOwnerBadge pageId={summary.pageId} psid={summary.psid} version={count} onError={props.onError} />
        <WindowsBadge pageId={summary.pageId} psid={summary.psid} version={count} onError={props.onError} />
      </div>
      <div class="log" role="log" aria-live="polite" aria-label="Messages">
      <ProfileIntro page={props.page} act={act} disabled={busy} />
      <ol class="items">
        {items.map((item, i) => (
          <Fragment key={item.id}>
            <ItemView item={item} conversation={conversation!} page={props.page} act={act} disabled={busy} />
            {i === lastSeenIndex && <li class="seen" aria-label="seen by the Page">Seen</li>}
          </Fragment>
        ))}
        {conversation?.seenAt !== undefined && lastSeenIndex === -1 && <li class="seen">Seen</li>}
        {conversation?.typing && (
          <li class="item from-page typing" aria-label="The Page is typing">
            <div class="bubble"><span class="dot" /><span class="dot" /><span class="dot" /></div>
          </li>
        )}
      </ol>
      {last && last.from === 'page' && last.message && !last.failure && <QuickReplies message={last.message} act={act} disabled={busy} />}
      <div ref={end} />
      </div>
      <form class="composer" onSubmit={submit} aria-label="Reply as the customer">
        <PersistentMenu page={props.page} act={act} disabled={busy} />
        <label for="reply" class="visually-hidden">Reply as the customer</label>
        <input id="reply" type="text" autocomplete="off" placeholder={`Reply as ${summary.psid}…`} value={text} maxLength={2000} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        <button type="submit" disabled={busy || !text.trim()}>Send</button>
      </form>
    </section>
  );
}

const root = document.getElementById('app')!;
// The server's "Loading" placeholder goes; Preact renders into an empty element.
root.replaceChildren();
render(<App />, root);
