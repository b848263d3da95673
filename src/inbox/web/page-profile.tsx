// A Page's Messenger Profile as Messenger shows it to a customer: before the first message the
// greeting, the Get Started button and the ice breakers; beside the composer the persistent
// menu. Tapping any of them sends its postback as the customer (the sandbox's customer webhook).
import { useState } from 'preact/hooks';
import type { InboxPage } from '../inbox-types';
import type { Act } from './message-view';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const objs = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The item of a per-locale property for the customer's locale: `default` (the inbox has no locale). */
const forDefault = (v: unknown): Obj | undefined => objs(v).find((i) => i.locale === 'default') ?? objs(v)[0];

/** The greeting with Messenger's placeholders filled as for a customer the inbox knows nothing of. */
function greetingText(profile: Obj): string | undefined {
  const g = forDefault(profile.greeting);
  if (!g) return undefined;
  return str(g.text).replace(/\{\{user_first_name\}\}/g, 'there').replace(/\{\{user_last_name\}\}/g, '').replace(/\{\{user_full_name\}\}/g, 'there');
}

/** Ice breakers in Graph's current form (per locale) or the older flat list. */
function iceBreakers(profile: Obj): { question: string; payload: string }[] {
  const list = objs(profile.ice_breakers);
  const items = list.length > 0 && list.every((i) => i.question !== undefined) ? list : objs(forDefault(list)?.call_to_actions);
  return items.map((q) => ({ question: str(q.question), payload: str(q.payload) })).filter((q) => q.question !== '');
}

/** The start of a conversation: greeting, Get Started, ice breakers (when the Page has them). */
export function ProfileIntro({ page, act, disabled }: { page: InboxPage | undefined; act: Act; disabled: boolean }) {
  if (!page) return null;
  const profile = page.profile;
  const greeting = greetingText(profile);
  const getStarted = isObj(profile.get_started) ? str(profile.get_started.payload) : '';
  const questions = iceBreakers(profile);
  if (!greeting && !getStarted && questions.length === 0) return null;
  return (
    <section class="profile-intro" aria-label="How the conversation starts">
      {greeting && <p class="greeting">{greeting}</p>}
      {questions.length > 0 && (
        <div class="ice-breakers" role="group" aria-label="Ice breakers">
          {questions.map((q) => (
            <button type="button" class="ice-breaker" disabled={disabled} onClick={() => void act({ postback: { title: q.question, payload: q.payload } })}>{q.question}</button>
          ))}
        </div>
      )}
      {getStarted && (
        <button type="button" class="get-started" disabled={disabled} onClick={() => void act({ postback: { title: 'Get Started', payload: getStarted } })}>Get Started</button>
      )}
    </section>
  );
}

/** The persistent menu beside the composer: postbacks sent as the customer, web URLs opened. */
export function PersistentMenu({ page, act, disabled }: { page: InboxPage | undefined; act: Act; disabled: boolean }) {
  const [open, setOpen] = useState(false);
  const menu = page ? forDefault(page.profile.persistent_menu) : undefined;
  const items = objs(menu?.call_to_actions);
  if (items.length === 0) return null;
  return (
    <div class="persistent-menu">
      <button type="button" class="menu-toggle" aria-expanded={open ? 'true' : 'false'} aria-label="Menu" onClick={() => setOpen(!open)}>☰</button>
      {open && (
        <ul class="menu-items" role="menu" aria-label="Persistent menu">
          {items.map((item) => (
            <li role="none">
              {item.type === 'web_url' ? (
                <a role="menuitem" href={str(item.url)} target="_blank" rel="noopener noreferrer">{str(item.title)}</a>
              ) : (
                <button type="button" role="menuitem" disabled={disabled} onClick={() => {
                  setOpen(false);
                  void act({ postback: { title: str(item.title), payload: str(item.payload) } });
                }}>{str(item.title)}</button>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
