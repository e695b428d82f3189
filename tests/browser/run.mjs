// @ts-check
// Browser tests of the Détente client in real headless Chromium. Run by `cargo test --test
// browser` (tests/browser.rs), which passes DETENTE_BIN, DB_DIR, SCREENSHOT_DIR and CHROMIUM.
// By hand: DETENTE_BIN=target/release/detente DB_DIR=$(mktemp -d) SCREENSHOT_DIR=/tmp/shots \
//          node tests/browser/run.mjs [name filter]

import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { Server, Runner, CHROMIUM_ARGS } from './harness.mjs';
import { tests } from './tests.mjs';

const env = (/** @type {string} */ k, /** @type {string} */ d) => process.env[k] || d;
const bin = env('DETENTE_BIN', 'target/debug/detente');
const dir = env('DB_DIR', fs.mkdtempSync('/tmp/detente-browser-'));
const shots = path.resolve(env('SCREENSHOT_DIR', 'target/browser-screenshots'));
const executablePath = env('CHROMIUM', '/usr/bin/chromium');
const filter = process.argv[2] || '';
fs.mkdirSync(shots, { recursive: true });
for (const f of fs.readdirSync(shots)) if (/^FAILED-.*\.png$/.test(f)) fs.rmSync(path.join(shots, f));
fs.mkdirSync(dir, { recursive: true });

const runner = new Runner();
runner.build = /[\\/]release[\\/]/.test(bin) ? `release build ${bin}`
  : /[\\/]debug[\\/]/.test(bin) ? `debug build ${bin} (unoptimised: its gzip alone costs ~0.1 s per 70 KB file)` : bin;
const server = new Server({ bin, dir });
// Never leave the server behind, and never hang the cargo test: 12 minutes at most (the 24
// tests took 6 minutes in CI on 2026-12-07, the layouts test alone 90 s).
process.on('exit', () => { server.proc?.kill('SIGKILL'); });
setTimeout(() => {
  console.error('browser tests: still running after 12 minutes; giving up');
  console.error('server log tail:\n' + server.tail.slice(-40).join('\n'));
  process.exit(1);
}, 12 * 60 * 1000).unref();
let browser;
let ok = false;
try {
  await server.start();
  console.log(`server ${bin} at ${server.origin}, database and log in ${dir}`);
  browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 30000 });
  console.log(`Chromium ${browser.version()}; screenshots in ${shots}`);
  const ctx = { server, browser, runner, shots };
  const b = browser;
  // After a failure: a screenshot of every open page, to see what the test saw.
  runner.onFail = async (test) => {
    const slug = test.replace(/[^a-z0-9]+/gi, '-').slice(0, 40);
    let i = 0;
    for (const page of b.contexts().flatMap((c) => c.pages())) {
      const file = path.join(shots, `FAILED-${slug}-${++i}.png`);
      await page.screenshot({ path: file, fullPage: true, timeout: 5000 }).catch(() => {});
      console.log(`  · failure screenshot ${file} (${page.url()})`);
    }
  };
  for (const t of tests) {
    if (filter && !t.name.includes(filter)) continue;
    await runner.test(t.name, () => t.run(ctx));
  }
  const { text, ok: passed } = runner.summary();
  console.log(text);
  ok = passed;
} catch (e) {
  console.error('browser tests could not run:', e);
  console.error('server log tail:\n' + server.tail.slice(-40).join('\n'));
} finally {
  await browser?.close().catch(() => {});
  await server.stop('SIGTERM').catch(() => {});
}
console.log(`\nScreenshots: ${shots}`);
process.exit(ok ? 0 : 1);
