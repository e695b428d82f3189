// @ts-check
/**
 * DOM helpers. Everything the client puts on the page goes through `h()` / `svg()`, which
 * create nodes and set properties but never parse HTML: strings always become text nodes, so
 * user text (chat, names, titles, reasons) can never inject markup.
 * @module dom
 */

import { errorText } from './i18n.js';

/**
 * @typedef {string | number | Node | null | undefined | false | ChildList} Child
 * A child: strings and numbers become text nodes; null, undefined and false are skipped;
 * arrays are flattened.
 */
/** @typedef {ReadonlyArray<any>} ChildList arrays of children, nested to any depth */

/**
 * @typedef {Record<string, any>} Attrs
 * Attributes and properties:
 * - `class`: a string, or an array of strings / falsy values (falsy ones are skipped);
 * - `for`: the label's `htmlFor`;
 * - `on<event>` (e.g. `onclick`, `onsubmit`): a listener function (anything else is dropped,
 *   never set as an inline handler);
 * - `href`, `src` and other URL attributes: a `javascript:` / `vbscript:` URL becomes `#`;
 * - `aria-*`, `data-*`, `role` and any other name: set as an attribute (null / undefined / false skip it);
 * - properties set directly: `value`, `checked`, `disabled`, `hidden`, `selected`, `open`,
 *   `required`, `readOnly`, `multiple`, `textContent`, `tabIndex`.
 * `style` is refused (the server's CSP forbids inline styles): use classes, or
 * `el.style.setProperty('--var', ...)` from code.
 */

const PROPS = new Set([
  'value', 'checked', 'disabled', 'hidden', 'selected', 'open', 'required',
  'readOnly', 'multiple', 'textContent', 'tabIndex', 'indeterminate', 'defaultValue',
]);

/** Attributes holding a URL, and the schemes that run code (browsers ignore control
 *  characters and spaces around and inside the scheme). */
const URL_ATTRS = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'poster', 'data']);
const UNSAFE_URL = /^[\u0000-\u0020]*(j[\s]*a[\s]*v[\s]*a[\s]*s[\s]*c[\s]*r[\s]*i[\s]*p[\s]*t|v[\s]*b[\s]*s[\s]*c[\s]*r[\s]*i[\s]*p[\s]*t)[\s]*:/i;

/**
 * @param {Element} el
 * @param {Attrs | null | undefined} attrs
 */
function applyAttrs(el, attrs) {
  if (!attrs) return;
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (name === 'style') throw new Error('dom.h: inline style is forbidden by the CSP; use a class');
    if (name === 'class') {
      const list = Array.isArray(value) ? value.filter(Boolean).join(' ') : String(value);
      if (list) el.setAttribute('class', list);
    } else if (name === 'for') {
      el.setAttribute('for', String(value));
    } else if (name.startsWith('on')) {
      // Only functions: a string would become an inline handler, so it is dropped.
      if (typeof value === 'function') el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (URL_ATTRS.has(name.toLowerCase()) && UNSAFE_URL.test(String(value))) {
      // A link built from someone's text must not run code when followed.
      el.setAttribute(name, '#');
    } else if (PROPS.has(name)) {
      /** @type {any} */ (el)[name] = value;
    } else if (value === false) {
      continue;
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
}

/**
 * @param {Node} parent
 * @param {Child[]} children
 */
function appendChildren(parent, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) appendChildren(parent, c);
    else if (c instanceof Node) parent.appendChild(c);
    else parent.appendChild(document.createTextNode(String(c)));
  }
}

/**
 * Creates an HTML element.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs | null} [attrs]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 * @example h('button', {type: 'button', onclick: go, 'data-testid': 'ready'}, 'Ready')
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  applyAttrs(el, attrs);
  appendChildren(el, children);
  return el;
}

export const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Creates an SVG element (presentation attributes such as x, y, d, fill, transform are fine
 * under the CSP).
 * @param {string} tag
 * @param {Attrs | null} [attrs]
 * @param {...Child} children
 * @returns {SVGElement}
 */
export function svg(tag, attrs, ...children) {
  const el = /** @type {SVGElement} */ (document.createElementNS(SVG_NS, tag));
  applyAttrs(el, attrs);
  appendChildren(el, children);
  return el;
}

/**
 * Removes every child of `el`.
 * @template {Node} T
 * @param {T} el
 * @returns {T}
 */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/**
 * Replaces the children of `el`.
 * @template {Node} T
 * @param {T} el
 * @param {...Child} children
 * @returns {T}
 */
export function replace(el, ...children) {
  clear(el);
  appendChildren(el, children);
  return el;
}

/**
 * Appends children to `el`.
 * @param {Node} el
 * @param {...Child} children
 */
export function append(el, ...children) {
  appendChildren(el, children);
}

let uid = 0;
/**
 * A page-unique id for label/for and aria-labelledby pairs.
 * @param {string} [prefix]
 */
export function uniqueId(prefix = 'id') {
  uid += 1;
  return `${prefix}-${uid}`;
}

/**
 * Shows an error message next to a control: fills (or clears) an element with role="alert".
 * A server error is shown in the current locale (`errorText`); a string is shown as it is.
 * @param {HTMLElement} el the message element (create with `errorBox()`)
 * @param {{code?: string, message?: string} | string | null | undefined} err
 */
export function showError(el, err) {
  if (!err) {
    clear(el);
    el.hidden = true;
    return;
  }
  replace(el, errorText(err));
  if (typeof err !== 'string' && err.code) el.dataset.code = err.code;
  el.hidden = false;
}

/**
 * An (initially hidden) error message element, to place beside the control it concerns.
 * @param {string} [testid]
 */
export function errorBox(testid = 'error') {
  return h('p', { class: 'error', role: 'alert', hidden: true, 'data-testid': testid });
}
