// @ts-check
/**
 * Moderation in the client (docs/protocol.md §5 `hide_message`, `mute_member`,
 * `unmute_member`): the words for a moderation record, the Moderate controls under a message
 * (Control only), the console's list of records with Lift the mute, and whether this seat's
 * person is muted now.
 *
 * Test ids: `moderate` (the details under a message), `moderate-reason`, `moderate-hide`,
 * `moderate-minutes`, `moderate-mute`, `moderation-list`, `moderation-record` (with
 * `data-kind`), `unmute`.
 * @module components/moderation
 */

import { h, errorBox, uniqueId } from '../dom.js';
import { channelLabel, factionName, roundLabel, timeOfDay } from '../format.js';
import { serverNow } from '../api.js';
import { t } from '../i18n.js';

/** Mutes Control may choose, in minutes (the server takes 1 to 120). */
export const MUTE_MINUTES = [5, 10, 20, 45];

/**
 * A moderation record in words: who did what, when and why.
 * @param {any} rec a `Moderation` of the view
 */
export function moderationText(rec) {
  const faction = rec.faction ? factionName(rec.faction) : '';
  const who = rec.name ? t('moderation.rec.named', { name: rec.name, faction }) : t('moderation.rec.someone', { faction });
  let text;
  if (rec.kind === 'hide_message') {
    text = t('moderation.rec.hide', { by: rec.by, message: String(rec.message), channel: channelLabel(rec.channel) });
  } else if (rec.kind === 'mute') {
    text = t('moderation.rec.mute', { by: rec.by, who, until: timeOfDay(rec.until_ms) });
  } else {
    text = t('moderation.rec.unmute', { by: rec.by, who });
  }
  if (rec.reason) text = t('moderation.rec.reason', { text, reason: rec.reason });
  return `${t('moderation.rec.when', { round: roundLabel(rec.round), time: timeOfDay(rec.at_ms) })}: ${text}`;
}

/**
 * Until when the person in seat `seatId` is muted (Unix ms), or null: the latest mute of that
 * seat in the view's records, unless lifted since or over.
 * @param {any} view @param {string | null | undefined} seatId
 */
export function mutedUntil(view, seatId) {
  if (!seatId) return null;
  let until = null;
  for (const rec of view?.moderation || []) {
    if (rec.member !== seatId) continue;
    if (rec.kind === 'mute') until = rec.until_ms;
    else if (rec.kind === 'unmute') until = null;
  }
  return until !== null && until > serverNow() ? until : null;
}

/**
 * The Moderate controls under a message: hide it, and (when the view names the poster's seat)
 * mute its author. Control only.
 * @param {any} m the message
 * @param {(command: any, btn: HTMLButtonElement, err: HTMLElement) => Promise<boolean>} run
 */
export function moderateControls(m, run) {
  const err = errorBox('moderate-error');
  const reasonId = uniqueId('moderate-reason');
  const reason = /** @type {HTMLInputElement} */ (h('input', { id: reasonId, type: 'text', maxlength: '200', 'data-testid': 'moderate-reason' }));
  const hide = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'button small danger', 'data-testid': 'moderate-hide' }, t('moderation.hide')));
  hide.addEventListener('click', () => {
    run({ type: 'hide_message', channel: m.channel, message: m.id, reason: reason.value.trim() }, hide, err);
  });
  /** @type {any[]} */
  const mute = [];
  if (m.member) {
    const minutesId = uniqueId('moderate-minutes');
    const minutes = /** @type {HTMLSelectElement} */ (h('select', { id: minutesId, 'data-testid': 'moderate-minutes' },
      MUTE_MINUTES.map((n) => h('option', { value: String(n) }, t('moderation.minutes', { count: n })))));
    const btn = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'button small', 'data-testid': 'moderate-mute' }, t('moderation.muteButton')));
    btn.addEventListener('click', () => {
      run({ type: 'mute_member', member: m.member, minutes: Number(minutes.value), reason: reason.value.trim() }, btn, err);
    });
    mute.push(h('div', { class: 'actions' }, h('label', { for: minutesId }, t('moderation.mute', { name: m.author })), minutes, btn));
  }
  return h('details', { class: 'moderate small', 'data-testid': 'moderate' },
    h('summary', null, t('moderation.moderate')),
    h('div', { class: 'stack-form' },
      h('label', { for: reasonId }, t('moderation.reason')), reason,
      m.hidden ? null : h('div', { class: 'actions' }, hide),
      ...mute, err));
}

/**
 * The list of moderation records, newest first, with Lift the mute on mutes still running
 * (when `run` is given: Control).
 * @param {any} view
 * @param {((command: any, btn: HTMLButtonElement, err: HTMLElement) => Promise<boolean>) | null} run
 */
export function moderationList(view, run) {
  const records = [...(view?.moderation || [])].reverse();
  if (!records.length) return h('p', { class: 'muted', 'data-testid': 'moderation-list' }, t('moderation.none'));
  return h('ul', { class: 'plain-list small', 'data-testid': 'moderation-list' }, records.map((rec) => {
    /** @type {any} */
    let lift = null;
    if (run && rec.kind === 'mute' && mutedUntil(view, rec.member) === rec.until_ms) {
      const err = errorBox('unmute-error');
      const btn = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'button small', 'data-testid': 'unmute' }, t('moderation.unmute')));
      btn.addEventListener('click', () => { run({ type: 'unmute_member', member: rec.member }, btn, err); });
      lift = h('span', null, ' ', btn, err);
    }
    return h('li', { 'data-testid': 'moderation-record', 'data-kind': rec.kind }, moderationText(rec), lift);
  }));
}

