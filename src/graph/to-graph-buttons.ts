import { WebviewHeightRatio, type Button, type DefaultAction, type UrlButton } from '../../gen/messenger/v1/template';
import type { GraphButton, GraphWebview, GraphWebviewHeightRatio } from './to-graph-types';

const WEBVIEW_HEIGHT_RATIO: Readonly<Partial<Record<WebviewHeightRatio, GraphWebviewHeightRatio>>> = {
  [WebviewHeightRatio.WEBVIEW_HEIGHT_RATIO_COMPACT]: 'compact',
  [WebviewHeightRatio.WEBVIEW_HEIGHT_RATIO_TALL]: 'tall',
  [WebviewHeightRatio.WEBVIEW_HEIGHT_RATIO_FULL]: 'full',
};

/** Thrown for input the validators refuse: the translation trusts validated requests. */
export function unvalidated(field: string): never {
  throw new TypeError(`to-graph: ${field} is missing or invalid; validate the request first`);
}

/** `buttons[]`, or undefined when there are none (Graph gets no empty list). */
export function toGraphButtons(buttons: Button[], field: string): GraphButton[] | undefined {
  if (buttons.length === 0) return undefined;
  const out: GraphButton[] = new Array<GraphButton>(buttons.length);
  for (let i = 0; i < buttons.length; i++) out[i] = toGraphButton(buttons[i], `${field}[${i}]`);
  return out;
}

/** One button: `{"type": "web_url" | "postback" | "phone_number" | ..., ...}`. */
export function toGraphButton(button: Button, field: string): GraphButton {
  const kind = button.kind ?? unvalidated(field);
  switch (kind.$case) {
    case 'webUrl':
      return urlButton(kind.value);
    case 'postback':
      return { type: 'postback', title: kind.value.title, payload: kind.value.payload };
    case 'phoneNumber':
      // Graph calls the number of a call button its `payload`.
      return { type: 'phone_number', title: kind.value.title, payload: kind.value.phoneNumber };
    case 'accountLink':
      return { type: 'account_link', url: kind.value.url };
    case 'accountUnlink':
      return { type: 'account_unlink' };
    case 'gamePlay': {
      const game = kind.value;
      const out: GraphButton & { type: 'game_play' } = { type: 'game_play', title: game.title };
      if (game.payload !== '') out.payload = game.payload;
      if (game.playerId !== '') out.game_metadata = { player_id: game.playerId };
      else if (game.contextId !== '') out.game_metadata = { context_id: game.contextId };
      return out;
    }
  }
}

function urlButton(b: UrlButton): GraphButton {
  const out: GraphButton & { type: 'web_url' } = { type: 'web_url', title: b.title, url: b.url };
  addWebviewOptions(out, b);
  return out;
}

/** A generic element's `default_action`: a web_url target without a title. */
export function toGraphDefaultAction(a: DefaultAction): { type: 'web_url' } & GraphWebview {
  const out: { type: 'web_url' } & GraphWebview = { type: 'web_url', url: a.url };
  addWebviewOptions(out, a);
  return out;
}

function addWebviewOptions(out: GraphWebview, from: UrlButton | DefaultAction): void {
  const ratio = WEBVIEW_HEIGHT_RATIO[from.webviewHeightRatio];
  if (ratio !== undefined) out.webview_height_ratio = ratio;
  if (from.messengerExtensions) out.messenger_extensions = true;
  if (from.fallbackUrl !== '') out.fallback_url = from.fallbackUrl;
  if (from.hideShareButton) out.webview_share_button = 'hide';
}
