// @ts-check
/**
 * The map, loaded on demand: its module and data (~35 KB compressed) arrive after the view is
 * drawn, so a view is usable before the map is. Used by the desk, the observer view and the
 * projector.
 */

import { h, replace } from '../dom.js';
import { t } from '../i18n.js';

/**
 * Loads the map component and draws it into `box`.
 * @param {HTMLElement} box where the map (with its text alternative and legend) goes
 * @param {Parameters<typeof import('./map.js').createMap>[0]} options for `createMap`
 * @param {() => any} currentView the view to draw first, read when the map has arrived
 * @param {() => boolean} alive false once the view has been unmounted
 * @param {(map: ReturnType<typeof import('./map.js').createMap>) => void} ready receives the map
 */
export function loadMap(box, options, currentView, alive, ready) {
  import('./map.js').then((mod) => {
    if (!alive()) return;
    const m = mod.createMap(options);
    replace(box, m.el, m.list || null, m.legendEl || null);
    m.update(currentView());
    ready(m);
  }).catch((e) => {
    console.error(e);
    if (alive()) replace(box, h('p', { class: 'muted', 'data-testid': 'map-placeholder' }, t('desk.map.unavailable')));
  });
}

/**
 * A "Full screen" button for the section that holds the map (for a phone, or for reading the
 * map from the back of the room): the section then covers the page; the button or Escape
 * brings it back. The section gets the class `map-full` (css/app.css).
 * @param {() => HTMLElement} section the map's section (read at each click)
 * @returns {{button: HTMLButtonElement, destroy: () => void}}
 */
export function fullScreenToggle(section) {
  const button = /** @type {HTMLButtonElement} */ (h('button', {
    type: 'button', class: 'button small map-full-toggle', 'data-testid': 'map-full', 'aria-pressed': 'false',
  }, t('desk.map.fullScreen')));
  button.addEventListener('click', () => {
    const el = section();
    const on = !el.classList.contains('map-full');
    el.classList.toggle('map-full', on);
    button.setAttribute('aria-pressed', String(on));
    button.textContent = on ? t('desk.map.closeFullScreen') : t('desk.map.fullScreen');
    button.focus();
  });
  const onKey = (/** @type {KeyboardEvent} */ e) => {
    if (e.key === 'Escape' && section().classList.contains('map-full')) button.click();
  };
  document.addEventListener('keydown', onKey);
  return { button, destroy: () => document.removeEventListener('keydown', onKey) };
}
