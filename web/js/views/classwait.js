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

/**
 * What a student is told about research use when joining and while waiting.
 * @param {{research_use?: boolean, research_free_text?: boolean}} c
 */
export function researchNote(c) {
  if (!c.research_use) return 'Your teacher has not allowed this class\'s games to be used for research.';
  return c.research_free_text
    ? 'Your teacher allows this class\'s games to be used for research, with what you write in the chat. Your name is replaced by a pseudonym.'
    : 'Your teacher allows this class\'s games to be used for research, without what you write in the chat. Your name is replaced by a pseudonym.';
}

/** What every student of a class is told about who reads the chat. */
export const MODERATION_NOTE = 'Your teacher (and anyone running your table) can read every channel of the game, your team\'s and private talks included.';

/**
 * @param {HTMLElement} root
 * @param {import('../main.js').ViewContext} ctx
 * @returns {import('../main.js').Mounted}
 */
export function mount(root, ctx) {
  const classId = /** @type {string} */ (ctx.classId);
  const saved = /** @type {import('../session.js').SavedClass} */ (ctx.savedClass);
  let alive = true;
  const status = h('p', { class: 'lead', 'data-testid': 'class-wait-status', role: 'status' }, 'Connecting…');
  const research = h('p', { 'data-testid': 'class-research-note' }, researchNote(saved));
  replace(root, h('section', { class: 'panel notice class-wait', 'data-testid': 'class-wait' },
    h('h1', null, saved.class_name),
    h('p', null, `You are on the list, ${saved.name}.`),
    status,
    h('p', { 'data-testid': 'class-moderation-note' }, MODERATION_NOTE),
    research));

  /** Goes to the seat the student's token opens now that the class has started. */
  async function toTable() {
    replace(status, 'The class has started: opening your table…');
    try {
      const r = await api.tokenSeat(saved.token);
      if (!alive) return;
      saveSeat(r.game_id, {
        token: saved.token, seat_id: r.you.seat_id, seat: r.you.seat, name: r.you.name,
        join_code: r.join_code, title: r.title || undefined,
      });
      ctx.navigate(`/game/${r.game_id}`, { replace: true });
    } catch (e) {
      if (alive) replace(status, `Your table could not be opened: ${/** @type {any} */ (e).message || e}. Reload the page to try again.`);
    }
  }

  const feed = new ClassFeed({ token: saved.token });
  feed.addEventListener('status', () => {
    if (feed.status === 'open') replace(status, 'Waiting for your teacher to start the class. Keep this page open: it opens your table by itself.');
    else if (feed.status === 'reconnecting') replace(status, 'The server cannot be reached just now; trying again…');
    else if (feed.status === 'rejected') {
      replace(status, 'This class does not know you any more. Join again with the class code.');
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
