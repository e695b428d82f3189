// @ts-check
// The browser tests themselves. Each runs with {server, browser, runner, shots}.

import path from 'node:path';
import { assert, axe } from './harness.mjs';

/** @typedef {{server: import('./harness.mjs').Server, browser: import('playwright-core').Browser, runner: import('./harness.mjs').Runner, shots: string}} Ctx */

const LAPTOP = { width: 1366, height: 768 };

/**
 * A fresh browser context (its own localStorage: one person), with a page that records
 * uncaught errors and dialogs.
 * @param {Ctx} ctx @param {{viewport?: {width:number,height:number}, bypassCSP?: boolean}} [opts]
 */
async function person(ctx, opts = {}) {
  const context = await ctx.browser.newContext({ viewport: opts.viewport || LAPTOP, bypassCSP: !!opts.bypassCSP });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  /** @type {string[]} */
  const errors = [];
  /** @type {string[]} */
  const dialogs = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('dialog', (d) => { dialogs.push(`${d.type()}: ${d.message()}`); d.dismiss().catch(() => {}); });
  return { context, page, errors, dialogs };
}

/** @param {Ctx} ctx @param {import('playwright-core').Page} page @param {string} name */
async function shot(ctx, page, name) {
  const file = path.join(ctx.shots, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  ctx.runner.note(`screenshot ${file}`);
}

/**
 * axe-core on the page: prints every violation, fails on serious or critical ones.
 * @param {Ctx} ctx @param {import('playwright-core').Page} page @param {string} view
 */
async function accessible(ctx, page, view) {
  const violations = await axe(page);
  for (const v of violations) {
    ctx.runner.note(`axe ${view}: [${v.impact}] ${v.id} (${v.count}×) ${v.help}`);
    for (const n of v.nodes) ctx.runner.note(`    ${n}`);
  }
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert(bad.length === 0, `axe: ${bad.length} serious/critical violation(s) on the ${view}: ${bad.map((v) => v.id).join(', ')}`);
  if (!violations.length) ctx.runner.note(`axe ${view}: no violations`);
}

/** @type {{name: string, run: (ctx: Ctx) => Promise<void>}[]} */
export const tests = [
  {
    name: 'landing loads, is accessible',
    async run(ctx) {
      const p = await person(ctx);
      await p.page.goto(ctx.server.url('/'));
      await p.page.locator('main').waitFor();
      await shot(ctx, p.page, 'landing');
      await accessible(ctx, p.page, 'landing');
      assert(p.errors.length === 0, `uncaught errors: ${p.errors.join('; ')}`);
      await p.context.close();
    },
  },
];
