import { WebviewHeightRatio, type Button, type DefaultAction, type UrlButton } from '../../gen/messenger/v1/template';
import { BUTTON_TITLE_MAX, BUTTONS_MAX, POSTBACK_PAYLOAD_MAX } from '../limits/graph-limits';
import { checkCount, checkEnum, checkRequired, checkRequiredMax, checkUrl, walkCount } from './field-checks';
import type { ViolationList } from './violation-list';


/** `buttons` of an element or template: at most 3 (at least `min`), each valid. */
export function checkButtons(out: ViolationList, field: string, buttons: Button[], min = 0): void {
  checkCount(out, field, buttons.length, min, BUTTONS_MAX, 'buttons');
  for (let i = 0; i < walkCount(buttons); i++) checkButton(out, `${field}[${i}]`, buttons[i]);
}

/** One button: a kind must be chosen and its fields must fit Graph's limits. */
export function checkButton(out: ViolationList, field: string, button: Button): void {
  const kind = button.kind;
  if (kind === undefined) {
    out.add(field, 'must set one kind: web_url, postback, phone_number, account_link, account_unlink or game_play');
    return;
  }
  switch (kind.$case) {
    case 'webUrl':
      checkUrlButton(out, `${field}.web_url`, kind.value);
      return;
    case 'postback':
      checkRequiredMax(out, `${field}.postback.title`, kind.value.title, BUTTON_TITLE_MAX);
      checkRequiredMax(out, `${field}.postback.payload`, kind.value.payload, POSTBACK_PAYLOAD_MAX);
      return;
    case 'phoneNumber': {
      checkRequiredMax(out, `${field}.phone_number.title`, kind.value.title, BUTTON_TITLE_MAX);
      const number = kind.value.phoneNumber;
      if (checkRequired(out, `${field}.phone_number.phone_number`, number) && !/^\+[0-9]+$/.test(number)) {
        out.add(`${field}.phone_number.phone_number`, 'must be + then the country code and number, digits only');
      }
      return;
    }
    case 'accountLink':
      checkUrl(out, `${field}.account_link.url`, kind.value.url, { required: true, httpsOnly: true });
      return;
    case 'accountUnlink':
      return;
    case 'gamePlay': {
      const game = kind.value;
      checkRequiredMax(out, `${field}.game_play.title`, game.title, BUTTON_TITLE_MAX);
      if (game.playerId !== '' && game.contextId !== '') {
        out.add(`${field}.game_play`, 'must set at most one of player_id and context_id');
      }
      return;
    }
  }
}

function checkUrlButton(out: ViolationList, field: string, button: UrlButton): void {
  checkRequiredMax(out, `${field}.title`, button.title, BUTTON_TITLE_MAX);
  checkWebview(out, field, button);
}

/**
 * The fields a URL button shares with a generic element's default_action. Messenger
 * Extensions only load over https, and fallback_url exists only for clients without them.
 */
export function checkWebview(out: ViolationList, field: string, target: DefaultAction | UrlButton): void {
  checkUrl(out, `${field}.url`, target.url, { required: true, httpsOnly: target.messengerExtensions });
  checkEnum(out, `${field}.webview_height_ratio`, WebviewHeightRatio, target.webviewHeightRatio, false);
  if (target.fallbackUrl !== '') {
    if (!target.messengerExtensions) out.add(`${field}.fallback_url`, 'must be unset unless messenger_extensions is true');
    checkUrl(out, `${field}.fallback_url`, target.fallbackUrl);
  }
}
