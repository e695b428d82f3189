// @ts-check
/**
 * A message with elements inside it (a link, a name in bold): `tNodes('desk.x', {who: h('strong',
 * null, 'Russia')})` returns the message's text and the given nodes in the order the current
 * language's message puts them, so that such a sentence stays one message and each language
 * chooses its word order.
 * @module components/tnodes
 */

import { t } from '../i18n.js';

const MARK = '\u0000';

/**
 * @param {string} key
 * @param {Record<string, string | number | Node | null | undefined>} [params] nodes go where
 *   their placeholder stands; the other values are filled in as `t()` fills them
 * @returns {Array<string | Node>}
 */
export function tNodes(key, params = {}) {
  /** @type {Record<string, string | number | null | undefined>} */
  const texts = {};
  /** @type {Record<string, Node>} */
  const nodes = {};
  for (const [name, value] of Object.entries(params)) {
    if (typeof Node !== 'undefined' && value instanceof Node) {
      nodes[name] = value;
      texts[name] = `${MARK}${name}${MARK}`;
    } else {
      texts[name] = /** @type {string | number | null | undefined} */ (value);
    }
  }
  return t(key, texts)
    .split(MARK)
    .map((part, i) => (i % 2 ? nodes[part] || part : part))
    .filter((part) => part !== '');
}
