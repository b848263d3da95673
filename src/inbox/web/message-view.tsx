// One conversation item drawn as Messenger draws it: bubbles, attachments, template cards, labels.
import type { ComponentChildren } from 'preact';
import type { InboxConversation, InboxItem, InboxPage } from '../inbox-types';
import type { CustomerReply } from './api';
import { InstagramBody, isInstagramBody, StoryReplyHeader } from './instagram-view';
import { linkable } from './linkable';
import { PersonaLabel } from './persona-label';

type Obj = Record<string, unknown>;
/** Does what the customer did; resolves false when it could not be sent. */
export type Act = (reply: CustomerReply) => Promise<boolean>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A Send API button: postback buttons are clickable (as the customer), links open, the rest are shown. */
export function GraphButton({ button, act, disabled }: { button: unknown; act: Act; disabled: boolean }) {
  if (!isObj(button)) return null;
  const title = str(button.title) ?? str(button.type) ?? 'button';
  const type = str(button.type);
  if (type === 'postback')
    return (
      <button type="button" class="tbutton" disabled={disabled} onClick={() => void act({ postback: { title, payload: str(button.payload) ?? '' } })}>
        {title}
      </button>
    );
  const webUrl = type === 'web_url' ? linkable(str(button.url)) : undefined;
  if (webUrl)
    return (
      <a class="tbutton" href={webUrl} target="_blank" rel="noopener noreferrer">
        {title}
      </a>
    );
  const phone = type === 'phone_number' ? linkable(`tel:${str(button.payload) ?? ''}`) : undefined;
  if (phone)
    return (
      <a class="tbutton" href={phone}>
        {title}
      </a>
    );
  return <span class="tbutton inert">{title}</span>;
}

function Buttons({ buttons, act, disabled }: { buttons: unknown; act: Act; disabled: boolean }) {
  const list = arr(buttons);
  if (list.length === 0) return null;
  return (
    <div class="tbuttons">
      {list.map((b, i) => (
        <GraphButton key={i} button={b} act={act} disabled={disabled} />
      ))}
    </div>
  );
}

function Media({ type, payload }: { type: string; payload: Obj }) {
  const url = str(payload.url);
  if (!url) return <div class="attachment placeholder">{`${type} attachment ${str(payload.attachment_id) ?? ''} (uploaded)`}</div>;
  if (type === 'image') return <img class="attachment image" src={url} alt="image attachment" />;
  if (type === 'video') return <video class="attachment" src={url} controls preload="none" aria-label="video attachment" />;
  if (type === 'audio') return <audio class="attachment" src={url} controls preload="none" aria-label="audio attachment" />;
  const name = fileName(url);
  const href = linkable(url);
  if (!href)
    return (
      <div class="attachment file">
        <span class="label">file</span> {name}
      </div>
    );
  return (
    <a class="attachment file" href={href} target="_blank" rel="noopener noreferrer">
      <span class="label">file</span> {name}
    </a>
  );
}

/** The last path segment, decoded when it can be (a malformed escape is shown as sent). */
function fileName(url: string): string {
  const last = url.split('/').pop() || 'file';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

function Card({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <article class="card" aria-label={label}>
      {children}
    </article>
  );
}

function Template({ payload, act, disabled }: { payload: Obj; act: Act; disabled: boolean }) {
  const type = str(payload.template_type) ?? 'template';
  switch (type) {
    case 'generic':
      return (
        <div class="carousel" role="group" aria-label="carousel">
          {arr(payload.elements).filter(isObj).map((e, i) => (
            <Card key={i} label={str(e.title) ?? 'card'}>
              {str(e.image_url) && <img class="card-image" src={str(e.image_url)} alt={str(e.title) ?? ''} />}
              <div class="card-body">
                <h3 class="card-title">{str(e.title)}</h3>
                {str(e.subtitle) && <p class="card-subtitle">{str(e.subtitle)}</p>}
              </div>
              <Buttons buttons={e.buttons} act={act} disabled={disabled} />
            </Card>
          ))}
        </div>
      );
    case 'button':
      return (
        <Card label="button template">
          <div class="card-body">
            <p class="card-text">{str(payload.text)}</p>
          </div>
          <Buttons buttons={payload.buttons} act={act} disabled={disabled} />
        </Card>
      );
    case 'media':
      return (
        <>
          {arr(payload.elements).filter(isObj).map((e, i) => (
            <Card key={i} label="media template">
              <Media type={str(e.media_type) ?? 'image'} payload={e} />
              <Buttons buttons={e.buttons} act={act} disabled={disabled} />
            </Card>
          ))}
        </>
      );
    case 'receipt': {
      const summary = isObj(payload.summary) ? payload.summary : {};
      const currency = str(payload.currency) ?? '';
      return (
        <Card label="receipt">
          <div class="card-body">
            <h3 class="card-title">Order confirmation</h3>
            <dl class="receipt-meta">
              <dt>Recipient</dt><dd>{str(payload.recipient_name)}</dd>
              <dt>Order number</dt><dd>{str(payload.order_number)}</dd>
              <dt>Payment method</dt><dd>{str(payload.payment_method)}</dd>
            </dl>
            <ul class="receipt-items">
              {arr(payload.elements).filter(isObj).map((e, i) => (
                <li key={i}>
                  {str(e.image_url) && <img src={str(e.image_url)} alt="" />}
                  <span class="ri-title">{str(e.title)}</span>
                  {str(e.subtitle) && <span class="ri-sub">{str(e.subtitle)}</span>}
                  <span class="ri-price">
                    {str(e.quantity) && `${str(e.quantity)} × `}
                    {str(e.price)} {str(e.currency) ?? currency}
                  </span>
                </li>
              ))}
            </ul>
            <p class="receipt-total">
              Total <strong>{str(summary.total_cost)} {currency}</strong>
            </p>
          </div>
        </Card>
      );
    }
    case 'coupon':
      return (
        <Card label="coupon">
          {str(payload.image_url) && <img class="card-image" src={str(payload.image_url)} alt="" />}
          <div class="card-body">
            {str(payload.coupon_pre_message) && <p class="card-text">{str(payload.coupon_pre_message)}</p>}
            <h3 class="card-title">{str(payload.title)}</h3>
            {str(payload.subtitle) && <p class="card-subtitle">{str(payload.subtitle)}</p>}
            {str(payload.coupon_code) && <p class="coupon-code">{str(payload.coupon_code)}</p>}
          </div>
          {str(payload.coupon_url) && (
            <div class="tbuttons">
              {linkable(str(payload.coupon_url)) ? (
                <a class="tbutton" href={linkable(str(payload.coupon_url))} target="_blank" rel="noopener noreferrer">
                  {str(payload.coupon_url_button_title) ?? 'Shop now'}
                </a>
              ) : (
                <span class="tbutton inert">{str(payload.coupon_url_button_title) ?? 'Shop now'}</span>
              )}
            </div>
          )}
        </Card>
      );
    case 'customer_feedback': {
      const questions = arr(payload.feedback_screens).filter(isObj).flatMap((s) => arr(s.questions).filter(isObj));
      return (
        <Card label="customer feedback">
          <div class="card-body">
            <h3 class="card-title">{str(payload.title)}</h3>
            {str(payload.subtitle) && <p class="card-subtitle">{str(payload.subtitle)}</p>}
            <ul class="questions">
              {questions.map((q, i) => (
                <li key={i}>{`${str(q.title) ?? 'Question'} (${(str(q.type) ?? '').toUpperCase()})`}</li>
              ))}
            </ul>
          </div>
          <div class="tbuttons">
            <span class="tbutton inert">{str(payload.button_title) ?? 'Rate'}</span>
          </div>
        </Card>
      );
    }
    case 'product':
      return (
        <Card label="product">
          <div class="card-body">
            {arr(payload.elements).filter(isObj).map((e, i) => (
              <p key={i} class="card-title">{`Product ${str(e.id) ?? ''}`}</p>
            ))}
          </div>
        </Card>
      );
    default:
      return <Card label={type}><pre class="card-body">{JSON.stringify(payload, null, 2)}</pre></Card>;
  }
}

function UtilityTemplate({ template }: { template: Obj }) {
  const language = isObj(template.language) ? str(template.language.code) : undefined;
  const components = arr(template.components).filter(isObj);
  return (
    <Card label="utility template">
      <div class="card-body">
        <h3 class="card-title">{str(template.name)}</h3>
        <p class="card-subtitle">{`Utility template${language ? ` · ${language}` : ''}`}</p>
        {components.map((c, i) => (
          <p key={i} class="card-text">
            <span class="label">{str(c.type)}</span>{' '}
            {arr(c.parameters).filter(isObj).map((p) => str(p.text) ?? str(p.type)).join(' · ')}
          </p>
        ))}
      </div>
    </Card>
  );
}

/** What a Page's message shows: text, attachments, templates. */
function MessageBody({ message, act, disabled }: { message: Obj; act: Act; disabled: boolean }) {
  const parts: ComponentChildren[] = [];
  if (str(message.text) !== undefined) parts.push(<p class="bubble-text">{str(message.text)}</p>);
  const a = message.attachment;
  if (isObj(a)) {
    const payload = isObj(a.payload) ? a.payload : {};
    const type = str(a.type) ?? 'file';
    parts.push(type === 'template' ? <Template payload={payload} act={act} disabled={disabled} /> : <Media type={type} payload={payload} />);
  }
  const many = arr(message.attachments).filter(isObj);
  if (many.length > 0)
    parts.push(
      <div class="gallery">
        {many.map((x, i) => (
          <Media key={i} type={str(x.type) ?? 'image'} payload={isObj(x.payload) ? x.payload : {}} />
        ))}
      </div>,
    );
  if (isObj(message.template)) parts.push(<UtilityTemplate template={message.template} />);
  return <>{parts}</>;
}

/** A text for a quoted message. */
function quoteOf(item: InboxItem | undefined): string {
  if (!item) return 'a message';
  if (item.removed) return 'an unsent message';
  if (item.from === 'customer') return item.postback?.title ?? item.text ?? (item.storyMention ? 'a story mention' : item.sharedPost ? 'a shared post' : '');
  const m = item.message ?? {};
  if (str(m.text)) return str(m.text)!;
  return 'an attachment';
}

const LABELS: Record<string, string> = { RESPONSE: 'response', UPDATE: 'update', MESSAGE_TAG: 'message tag', UTILITY: 'utility' };

/** One item of a conversation. */
export function ItemView({ item, conversation, page, act, disabled }: { item: InboxItem; conversation: InboxConversation; page?: InboxPage; act: Act; disabled: boolean }) {
  const mine = item.from === 'customer';
  const quoted = item.replyTo ? conversation.items.find((i) => i.mid === item.replyTo) : undefined;
  const time = new Date(item.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const content = item.message && (str(item.message.text) !== undefined && Object.keys(item.message).every((k) => k === 'text' || k === 'quick_replies' || k === 'metadata'));
  return (
    <li class={`item ${mine ? 'from-customer' : 'from-page'}${item.failure ? ' failed' : ''}`} data-item-id={item.id} aria-label={`${mine ? 'Customer' : 'Page'} at ${time}`}>
      {(item.historical || (!mine && (item.personaId || item.messagingType || item.tag || item.notificationType))) && (
        <div class="labels">
          {item.personaId && <PersonaLabel personaId={item.personaId} page={page} />}
          {item.messagingType && <span class="label">{LABELS[item.messagingType] ?? item.messagingType.toLowerCase()}</span>}
          {item.tag && <span class="label tag">{`tag ${item.tag}`}</span>}
          {item.notificationType && item.notificationType !== 'REGULAR' && <span class="label">{item.notificationType.toLowerCase().replace(/_/g, ' ')}</span>}
          {item.historical ? <span class="label historical">history</span> : null}
          {item.delayedMs && item.delayedMs >= 100 ? <span class="label">{`answered after ${item.delayedMs} ms`}</span> : null}
        </div>
      )}
      {item.replyTo && (
        <blockquote class="reply-to" aria-label="replying to">
          {`↩ ${quoteOf(quoted)}`}
        </blockquote>
      )}
      {mine && item.storyReply && !item.removed && <StoryReplyHeader story={item.storyReply} />}
      <div class={`bubble${content || mine ? '' : ' rich'}`}>
        {mine && isInstagramBody(item) ? (
          <InstagramBody item={item} />
        ) : mine ? (
          <p class="bubble-text">{item.postback ? item.postback.title : item.text}</p>
        ) : item.message ? (
          <MessageBody message={item.message} act={act} disabled={disabled} />
        ) : (
          <p class="bubble-text action">{`sender action ${item.senderAction ?? ''}`}</p>
        )}
        {item.reactions && item.reactions.length > 0 && (
          <span class="reactions" role="img" aria-label={`reaction ${item.reactions.join(' ')}`}>
            {item.reactions.join('')}
          </span>
        )}
      </div>
      {mine && (item.postback || item.quickReplyPayload !== undefined) && (
        <div class="labels mine">
          <span class="label">{item.postback ? `postback ${item.postback.payload}` : `quick reply ${item.quickReplyPayload ?? ''}`}</span>
        </div>
      )}
      {item.failure && (
        <div class="failure" role="note" aria-label="not delivered">
          <strong>Not delivered.</strong>{' '}
          {item.failure.graph
            ? `Graph error ${item.failure.graph.code}${item.failure.graph.subcode ? `/${item.failure.graph.subcode}` : ''}: ${item.failure.graph.message}`
            : `The sandbox answered ${item.failure.answer}.`}{' '}
          <span class="grpc">{`The caller got ${item.failure.grpcCode} (${item.failure.reason})`}</span>
          {item.failure.retried ? ' unless a retry by the gateway succeeded' : ''}.
          {item.failure.chaos ? <span class="label chaos">chaos</span> : null}
        </div>
      )}
    </li>
  );
}

/** The quick replies of a message, as chips the customer can tap. */
export function QuickReplies({ message, act, disabled }: { message: Obj; act: Act; disabled: boolean }) {
  const replies = arr(message.quick_replies).filter(isObj);
  if (replies.length === 0) return null;
  return (
    <div class="chips" role="group" aria-label="quick replies">
      {replies.map((q, i) => {
        const type = str(q.content_type) ?? 'text';
        const title = type === 'text' ? str(q.title) ?? '' : type === 'user_email' ? 'customer@example.com' : '+1 555 0100';
        const payload = type === 'text' ? str(q.payload) ?? '' : title;
        return (
          <button key={i} type="button" class="chip" disabled={disabled} onClick={() => void act({ text: title, quickReplyPayload: payload })}>
            {str(q.image_url) && <img src={str(q.image_url)} alt="" />}
            {title}
          </button>
        );
      })}
    </div>
  );
}
