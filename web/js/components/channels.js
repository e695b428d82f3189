// @ts-check
/**
 * Chat channels: a list of the channels this seat can read (plenary, each bilateral pair it is
 * in, its team, its Control channel; Control sees every channel), each with an unread count;
 * the selected channel's history; a post box.
 *
 * `createChannels({store, readOnly?})` returns `{el, update(), select(key), destroy()}`. Read marks are kept
 * in localStorage per game and seat, so unread counts survive a reload.
 *
 * Test ids: `channels`, `channel-<key>` (key from `format.channelKey`: `channel-plenary`,
 * `channel-bilateral-russia-us_nato`, `channel-team-russia`, `channel-control-russia`),
 * `unread` (badge), `messages`, `message` (with `data-author`), `chat-input`, `chat-send`,
 * `chat-error`.
 * @module components/channels
 */

import * as api from '../api.js';
import { h, replace, errorBox, showError } from '../dom.js';
import { channelKey, channelLabel, factionColour, timeOfDay, seatLabel, roundLabel } from '../format.js';
import { t } from '../i18n.js';
import { moderateControls, mutedUntil } from './moderation.js';
import { ownHeldNote } from './agents.js';

const MAX_LEN = 2000;

/**
 * The channels a seat can read, in display order.
 * @param {any} seat
 * @param {string[]} factionIds
 * @param {any[]} messages
 * @returns {any[]}
 */
export function channelsFor(seat, factionIds, messages) {
  /** @type {any[]} */
  const list = [{ kind: 'plenary' }];
  if (seat?.role === 'faction') {
    const f = seat.faction;
    for (const o of factionIds) if (o !== f) list.push({ kind: 'bilateral', factions: [f, o].sort() });
    list.push({ kind: 'team', faction: f });
    list.push({ kind: 'control', faction: f });
  } else if (seat?.role === 'control') {
    for (let i = 0; i < factionIds.length; i++) {
      for (let j = i + 1; j < factionIds.length; j++) list.push({ kind: 'bilateral', factions: [factionIds[i], factionIds[j]].sort() });
    }
    for (const f of factionIds) list.push({ kind: 'control', faction: f });
    for (const f of factionIds) list.push({ kind: 'team', faction: f });
  }
  // After the game everyone reads everything: add channels that only appear in the history.
  const keys = new Set(list.map(channelKey));
  for (const m of messages) {
    const k = channelKey(m.channel);
    if (!keys.has(k)) {
      keys.add(k);
      list.push(m.channel);
    }
  }
  return list;
}

/**
 * Whether this seat may post in a channel (§5).
 * @param {any} seat
 * @param {any} ch
 */
export function canPost(seat, ch) {
  if (!seat || seat.role === 'observer') return false;
  if (seat.role === 'control') return true;
  const f = seat.faction;
  if (ch.kind === 'plenary') return true;
  if (ch.kind === 'bilateral') return ch.factions.includes(f);
  return ch.faction === f;
}

/**
 * `moderate` (Control's console): runs a moderation command from a button; with it, each
 * message has the Moderate controls (hide it, mute its author).
 * @param {{store: import('../store.js').GameStore, readOnly?: boolean, initial?: string,
 *   moderate?: ((command: any, btn: HTMLButtonElement, err: HTMLElement) => Promise<boolean>) | null}} opts
 * @returns {{el: HTMLElement, update: () => void, select: (key: string) => void, destroy: () => void}}
 */
export function createChannels({ store, readOnly = false, initial = 'plenary', moderate = null }) {
  const readKey = `detente.read.${store.gameId}.${store.you?.seat_id || 'seat'}`;
  /** @type {Record<string, number>} */
  let read = {};
  try { read = JSON.parse(localStorage.getItem(readKey) || '{}') || {}; } catch { read = {}; }
  let selected = initial;
  /** @type {Map<string, any>} */
  let channelByKey = new Map();

  const list = h('div', { class: 'channel-list', role: 'group', 'aria-label': t('desk.channels.list') });
  const heading = h('h3', { class: 'channel-heading', id: `ch-head-${store.gameId}` });
  const history = h('ol', { class: 'messages', 'data-testid': 'messages', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-labelledby': heading.id, tabindex: '0' });
  // A view carries the latest 200 messages of each channel; earlier ones are fetched on demand.
  /** @type {Map<string, any[]>} */
  const earlier = new Map();
  const moreBtn = h('button', { type: 'button', class: 'button small subtle', 'data-testid': 'earlier-messages', hidden: true }, t('desk.channels.earlier'));
  moreBtn.addEventListener('click', async () => {
    const key = selected;
    const shown = [...(earlier.get(key) || []), ...(store.view?.messages || []).filter((/** @type {any} */ m) => channelKey(m.channel) === key)];
    const oldest = shown[0]?.id;
    if (!oldest || oldest <= 1) return;
    moreBtn.setAttribute('aria-disabled', 'true');
    try {
      const got = await api.earlierMessages(store.gameId, store.token, key, oldest);
      earlier.set(key, [...got, ...(earlier.get(key) || [])]);
      history.dataset.key = '';
      update();
      history.scrollTop = 0;
    } catch (x) {
      showError(err, /** @type {any} */ (x));
    } finally {
      moreBtn.removeAttribute('aria-disabled');
    }
  });
  const input = h('textarea', {
    id: `chat-input-${store.gameId}`, class: 'chat-input', rows: '2', maxlength: String(MAX_LEN),
    'data-testid': 'chat-input', placeholder: t('desk.channels.placeholder'),
  });
  const inputLabel = h('label', { for: input.id, class: 'visually-hidden' });
  const send = h('button', { type: 'submit', class: 'button primary', 'data-testid': 'chat-send' }, t('desk.channels.send'));
  const err = errorBox('chat-error');
  const mutedNote = h('p', { class: 'notice small', role: 'status', 'data-testid': 'muted-note', hidden: true });
  // An outside agent's seat opened in a browser: its messages held for Control's approval.
  const heldNote = h('div');
  const form = h('form', { class: 'chat-form' }, inputLabel, mutedNote, heldNote, h('div', { class: 'chat-row' }, input, send), err);
  const el = h('div', { class: 'channels', 'data-testid': 'channels' },
    list, h('div', { class: 'channel-pane' }, heading, moreBtn, history, readOnly ? null : form));

  function saveRead() {
    try { localStorage.setItem(readKey, JSON.stringify(read)); } catch { /* ignore */ }
  }

  /** `<channel key>#<id>` of every message hidden (from the view's moderation records). */
  /** @type {Set<string>} */
  let hiddenIds = new Set();

  /** @param {any} m */
  function isMine(m) {
    const you = store.you;
    return !!you && JSON.stringify(m.from) === JSON.stringify(you.seat) && m.author === you.name;
  }

  /** @param {string} key */
  function select(key) {
    selected = key;
    update();
    input.focus();
  }

  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  /** A message is on its way: Enter or Send again must not post it a second time. */
  let sending = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (sending) return;
    const ch = channelByKey.get(selected);
    const text = input.value;
    if (!ch || !text.trim()) return;
    showError(err, null);
    sending = true;
    send.disabled = true;
    try {
      await store.command({ type: 'chat', channel: ch, text });
      if (input.value === text) input.value = '';
    } catch (x) {
      showError(err, /** @type {any} */ (x));
    } finally {
      sending = false;
      update();
      input.focus();
    }
  });

  function update() {
    const v = store.view;
    if (!v) return;
    const seat = store.you?.seat || v.seat;
    const factionIds = (store.scenario?.factions || []).map((/** @type {any} */ f) => f.id);
    const channels = channelsFor(seat, factionIds, v.messages);
    channelByKey = new Map(channels.map((c) => [channelKey(c), c]));
    if (!channelByKey.has(selected)) selected = 'plenary';

    /** @type {Map<string, any[]>} */
    const byKey = new Map();
    for (const m of v.messages) {
      const k = channelKey(m.channel);
      let arr = byKey.get(k);
      if (!arr) byKey.set(k, (arr = []));
      arr.push(m);
    }

    // Reading the selected channel marks it read (only while the page is visible).
    // Earlier pages and the view's messages, once each (a refreshed view may overlap a page).
    const ids = new Set();
    const sel = [...(earlier.get(selected) || []), ...(byKey.get(selected) || [])]
      .filter((m) => !ids.has(m.id) && ids.add(m.id))
      .sort((a, b) => a.id - b.id);
    moreBtn.hidden = !(sel.length && sel[0].id > 1);
    if (!document.hidden && sel.length) {
      const lastId = sel[sel.length - 1].id;
      if ((read[selected] || 0) < lastId) {
        read[selected] = lastId;
        saveRead();
      }
    }

    // The tabs are redrawn on every change: keep the keyboard focus on the tab that had it.
    const focusedTab = list.contains(document.activeElement) ? document.activeElement?.getAttribute('data-testid') : null;
    replace(list, channels.map((c) => {
      const k = channelKey(c);
      const msgs = byKey.get(k) || [];
      const unread = msgs.filter((m) => m.id > (read[k] || 0) && !isMine(m)).length;
      const label = channelLabel(c, seat);
      return h('button', {
        type: 'button', class: ['channel-tab', k === selected && 'selected'], 'aria-pressed': k === selected ? 'true' : 'false',
        'data-testid': `channel-${k}`, 'data-unread': String(unread),
        onclick: () => select(k),
      },
      c.kind === 'bilateral' ? swatchesFor(c.factions, seat) : null,
      h('span', { class: 'channel-name' }, label),
      unread ? [' ', h('span', { class: 'badge', 'data-testid': 'unread' }, String(unread)), h('span', { class: 'visually-hidden' }, t('desk.channels.unread', { count: unread }))] : null);
    }));

    if (focusedTab) {
      const again = list.querySelector(`[data-testid="${CSS.escape(focusedTab)}"]`);
      if (again instanceof HTMLElement) again.focus();
    }

    const ch = channelByKey.get(selected);
    const label = ch ? channelLabel(ch, seat) : '';
    replace(heading, ch?.kind === 'bilateral' || ch?.kind === 'control' || ch?.kind === 'team' ? t('desk.channels.heading', { label }) : label);
    inputLabel.textContent = t('desk.channels.inputLabel', { label });

    const atBottom = history.scrollHeight - history.scrollTop - history.clientHeight < 40;
    const prevCount = Number(history.dataset.count || 0);
    const prevKey = history.dataset.key || '';
    // Hidden messages (moderation) are drawn again when one more is hidden.
    hiddenIds = new Set((v.moderation || []).filter((/** @type {any} */ r) => r.kind === 'hide_message')
      .map((/** @type {any} */ r) => `${channelKey(r.channel)}#${r.message}`));
    const hiddenSig = String(hiddenIds.size);
    const prevHidden = history.dataset.hidden || '0';
    history.dataset.hidden = hiddenSig;
    if (prevKey !== selected || prevCount !== sel.length || prevHidden !== hiddenSig) {
      if (prevKey === selected && prevCount > 0 && sel.length > prevCount && prevHidden === hiddenSig) {
        for (const m of sel.slice(prevCount)) history.appendChild(renderMessage(m));
      } else {
        replace(history, sel.length ? sel.map(renderMessage) : h('li', { class: 'muted empty' }, t('desk.channels.empty')));
      }
      history.dataset.count = String(sel.length);
      history.dataset.key = selected;
      if (atBottom || prevKey !== selected) history.scrollTop = history.scrollHeight;
    }

    // A muted person reads but does not write until the mute ends.
    const until = seat?.role === 'faction' ? mutedUntil(v, store.you?.seat_id) : null;
    mutedNote.hidden = until === null;
    if (until !== null) replace(mutedNote, t('moderation.youMuted', { time: timeOfDay(until) }));
    replace(heldNote, seat?.role === 'faction' ? ownHeldNote(v) : null);
    const postable = !readOnly && ch && canPost(seat, ch) && v.phase !== 'ended' && until === null;
    input.disabled = !postable;
    send.disabled = !postable || sending;
    form.hidden = !!readOnly || !(ch && canPost(seat, ch));
  }

  /** @param {any} m */
  function renderMessage(m) {
    const who = m.from?.role === 'faction' ? m.from.faction : null;
    const sw = h('span', { class: 'swatch', 'aria-hidden': 'true' });
    if (who) sw.style.setProperty('--swatch', factionColour(who));
    // Hidden by a facilitator: the players see that it was, Control still reads it.
    const hidden = m.hidden || hiddenIds.has(`${channelKey(m.channel)}#${m.id}`);
    const control = (store.you?.seat || store.view?.seat)?.role === 'control';
    let body;
    if (hidden && !control) {
      body = h('p', { class: 'message-text muted', 'data-testid': 'message-hidden' }, h('em', null, t('moderation.hidden')));
    } else {
      body = h('p', { class: 'message-text' }, m.text);
    }
    return h('li', { class: ['message', isMine(m) && 'mine', hidden && 'hidden-message'], 'data-testid': 'message', 'data-author': m.author },
      h('div', { class: 'message-meta' },
        sw,
        h('span', { class: 'message-author' }, m.author),
        h('span', { class: 'muted small' }, ` · ${seatLabel(m.from)} · ${roundLabel(m.round)} · `),
        h('time', { class: 'muted small', datetime: new Date(m.at_ms).toISOString() }, timeOfDay(m.at_ms)),
        hidden && control ? h('span', { class: 'tag warn small', 'data-testid': 'message-hidden' }, t('moderation.hiddenForOthers')) : null),
      body,
      moderate && m.from?.role === 'faction' && !(hidden && !m.member) ? moderateControls({ ...m, hidden }, moderate) : null);
  }

  /** @param {string[]} pair @param {any} seat */
  function swatchesFor(pair, seat) {
    const other = seat?.role === 'faction' ? pair.filter((f) => f !== seat.faction) : pair;
    return other.map((f) => {
      const s = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      s.style.setProperty('--swatch', factionColour(f));
      return s;
    });
  }

  const onVisible = () => { if (!document.hidden) update(); };
  document.addEventListener('visibilitychange', onVisible);
  update();
  return { el, update, select, destroy: () => document.removeEventListener('visibilitychange', onVisible) };
}
