// @ts-check
/**
 * Messages of moderation (hiding a message, muting a player), in English and Russian. Keys:
 * `moderation.<name>`. Used by the console, the channels, the desk and the after-action page.
 * @module messages/moderation
 */

export default {
  en: {
    'moderation.title': 'Moderation',
    'moderation.hint': 'To hide a message or mute a player, open Moderate under the message in Channels. Everyone is told the facilitators can read every channel.',
    'moderation.none': 'Nothing hidden, nobody muted.',
    'moderation.moderate': 'Moderate',
    'moderation.reason': 'Reason (optional)',
    'moderation.hide': 'Hide this message',
    'moderation.mute': 'Mute {name} for',
    'moderation.muteButton': 'Mute',
    'moderation.minutes': { one: '{count} minute', other: '{count} minutes' },
    'moderation.unmute': 'Lift the mute',
    'moderation.hidden': 'Hidden by a facilitator',
    'moderation.hiddenForOthers': 'Hidden from the players',
    'moderation.rec.hide': '{by} hid message {message} in {channel}',
    'moderation.rec.mute': '{by} muted {who} until {until}',
    'moderation.rec.unmute': '{by} lifted the mute of {who}',
    'moderation.rec.someone': 'a player of {faction}',
    'moderation.rec.named': '{name} ({faction})',
    'moderation.rec.reason': '{text} — {reason}',
    'moderation.rec.when': '{round}, {time}',
    'moderation.youMuted': 'A facilitator has muted you until {time}: you can read, but not write.',
    'moderation.afterTitle': 'Moderation',
    'moderation.afterHint': 'What the facilitators hid or muted during the game, with their reasons. Hidden texts stay hidden.',
  },
  ru: {
    'moderation.title': 'Модерация',
    'moderation.hint': 'Чтобы скрыть сообщение или запретить игроку писать, откройте «Модерировать» под сообщением в разделе каналов. Все участники знают, что ведущие читают все каналы.',
    'moderation.none': 'Ничего не скрыто, никому не запрещено писать.',
    'moderation.moderate': 'Модерировать',
    'moderation.reason': 'Причина (необязательно)',
    'moderation.hide': 'Скрыть это сообщение',
    'moderation.mute': 'Запретить писать ({name}) на',
    'moderation.muteButton': 'Запретить',
    'moderation.minutes': { one: '{count} минуту', few: '{count} минуты', many: '{count} минут', other: '{count} минуты' },
    'moderation.unmute': 'Снять запрет',
    'moderation.hidden': 'Скрыто ведущим',
    'moderation.hiddenForOthers': 'Скрыто от игроков',
    'moderation.rec.hide': '{by}: скрыто сообщение {message} в канале «{channel}»',
    'moderation.rec.mute': '{by}: {who} не может писать до {until}',
    'moderation.rec.unmute': '{by}: снят запрет писать для {who}',
    'moderation.rec.someone': 'игрок стороны {faction}',
    'moderation.rec.named': '{name} ({faction})',
    'moderation.rec.reason': '{text} — {reason}',
    'moderation.rec.when': '{round}, {time}',
    'moderation.youMuted': 'Ведущий запретил вам писать до {time}: читать можно, писать нельзя.',
    'moderation.afterTitle': 'Модерация',
    'moderation.afterHint': 'Что ведущие скрыли или кому запретили писать во время игры, и почему. Скрытые тексты остаются скрытыми.',
  },
};
