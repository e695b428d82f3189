// @ts-check
/**
 * A student's waiting room (`/class/<id>` with a student's token): they are on the roster and
 * wait for the teacher's Start, which sends them to their table. Says who can read what: the
 * facilitators read every channel, and whether the class's games may be used for research.
 *
 * Test ids: `class-wait`, `class-wait-status`, `class-moderation-note`, `class-research-note`.
 * @module views/classwait
 */

import { h, replace } from '../dom.js';
import * as api from '../api.js';
import { ClassFeed } from '../classfeed.js';
import { saveSeat, forgetClass } from '../session.js';
import { t, errorText } from '../i18n.js';

/**
 * What a student is told about research use when joining and while waiting.
 * @param {{research_use?: boolean, research_free_text?: boolean}} c
 */
export function researchNote(c) {
  if (!c.research_use) return t('classes.wait.noResearch');
  return c.research_free_text ? t('classes.wait.researchWithText') : t('classes.wait.researchWithoutText');
}

/** What every student of a class is told about who reads the chat. */
export const MODERATION_NOTE = t('classes.wait.moderation');

/**
 * @param {HTMLElement} root
 * @param {import('../main.js').ViewContext} ctx
 * @returns {import('../main.js').Mounted}
 */
export function mount(root, ctx) {
  const classId = /** @type {string} */ (ctx.classId);
  const saved = /** @type {import('../session.js').SavedClass} */ (ctx.savedClass);
  let alive = true;
  const status = h('p', { class: 'lead', 'data-testid': 'class-wait-status', role: 'status' }, t('classes.wait.connecting'));
  const research = h('p', { 'data-testid': 'class-research-note' }, researchNote(saved));
  replace(root, h('section', { class: 'panel notice class-wait', 'data-testid': 'class-wait' },
    h('h1', null, saved.class_name),
    h('p', null, t('classes.wait.onList', { name: saved.name })),
    status,
    h('p', { 'data-testid': 'class-moderation-note' }, MODERATION_NOTE),
    research));

  /**
   * Goes to the seat the student's token opens now that the class has started. The whole
   * class asks at the same moment, often from one address, and `GET /api/seat` counts the
   * look-ups in flight against that address's limit of unknown links (10 at once): a refusal
   * for now (429), a server that is busy or away (5xx) or no network is tried again, with
   * backoff, until it opens the seat.
   */
  async function toTable() {
    replace(status, t('classes.wait.opening'));
    for (let attempt = 1; ; attempt += 1) {
      try {
        const r = await api.tokenSeat(saved.token);
        if (!alive) return;
        saveSeat(r.game_id, {
          token: saved.token, seat_id: r.you.seat_id, seat: r.you.seat, name: r.you.name,
          join_code: r.join_code, title: r.title || undefined,
        });
        ctx.navigate(`/game/${r.game_id}`, { replace: true });
        return;
      } catch (e) {
        if (!alive) return;
        const err = /** @type {any} */ (e);
        if (!(err.status === 0 || err.status === 429 || err.status >= 500)) {
          replace(status, t('classes.wait.openFailed', { error: errorText(err) || String(err) }));
          return;
        }
        const wait = Math.min(10000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
        await new Promise((r) => setTimeout(r, wait));
        if (!alive) return;
      }
    }
  }

  const feed = new ClassFeed({ token: saved.token });
  feed.addEventListener('status', () => {
    if (feed.status === 'open') replace(status, t('classes.wait.waiting'));
    else if (feed.status === 'reconnecting') replace(status, t('classes.wait.unreachable'));
    else if (feed.status === 'rejected') {
      replace(status, t('classes.wait.rejected'));
      forgetClass(classId);
    }
  });
  feed.addEventListener('welcome', (e) => {
    const w = /** @type {CustomEvent} */ (e).detail;
    replace(research, researchNote(w));
  });
  feed.addEventListener('started', () => toTable());
  feed.start();
  return {
    unmount() {
      alive = false;
      feed.stop();
    },
  };
}
