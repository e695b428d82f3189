// @ts-check
// The browser tests' plumbing: the server process (start, stop, restart on the same port), the
// browser and its contexts, a small test runner, and checks shared by the tests.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** @param {number} ms */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1 (the kernel picks one; we release it for the server). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The `detente` server under test: the embedded client (no --web-dir), SQLite in a temp dir. */
export class Server {
  /**
   * @param {{bin: string, dir: string, extraArgs?: (port: number) => string[]}} opts
   *   `extraArgs`: more `serve` flags, given the port (e.g. a public URL on it).
   */
  constructor({ bin, dir, extraArgs }) {
    this.bin = bin;
    this.dir = dir;
    this.extraArgs = extraArgs || (() => []);
    this.port = 0;
    /** @type {import('node:child_process').ChildProcess | null} */
    this.proc = null;
    this.logPath = path.join(dir, 'server.log');
    /** @type {string[]} */
    this.tail = [];
    this.starts = 0;
  }

  get origin() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** @param {string} p */
  url(p) {
    return this.origin + p;
  }

  async start() {
    if (!this.port) this.port = await freePort();
    const env = { ...process.env, RUST_LOG: process.env.RUST_LOG || 'info' };
    // The server reads these from the environment: the test decides them itself.
    for (const k of Object.keys(env)) {
      if (k.startsWith('DETENTE_') || k === 'DATABASE_URL') delete env[k];
    }
    const log = fs.openSync(this.logPath, 'a');
    fs.writeSync(log, `\n---- start ${++this.starts} ----\n`);
    const args = [
      'serve',
      '--addr', `127.0.0.1:${this.port}`,
      '--database-url', `sqlite://${path.join(this.dir, 'd.db')}`,
      ...this.extraArgs(this.port),
    ];
    // Only for working on the tests against files being edited; the suite tests the embedded copy.
    if (process.env.TEST_WEB_DIR) args.push('--web-dir', process.env.TEST_WEB_DIR);
    const proc = spawn(this.bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    /** @param {Buffer} chunk */
    const keep = (chunk) => {
      fs.writeSync(log, chunk);
      for (const line of chunk.toString().split('\n')) if (line) this.tail.push(line);
      if (this.tail.length > 200) this.tail.splice(0, this.tail.length - 200);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    let exited = false;
    proc.on('exit', () => { exited = true; fs.closeSync(log); });
    const t0 = Date.now();
    for (;;) {
      if (exited) throw new Error(`the server exited at start:\n${this.tail.slice(-30).join('\n')}`);
      try {
        const r = await fetch(this.url('/readyz'));
        if (r.ok) return;
      } catch { /* not listening yet */ }
      if (Date.now() - t0 > 30000) throw new Error('the server was not ready within 30 s');
      await sleep(50);
    }
  }

  /** Stops the server: SIGTERM (graceful) or SIGKILL (a crash). Resolves when it has exited. */
  async stop(signal = /** @type {NodeJS.Signals} */ ('SIGTERM')) {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const done = new Promise((r) => proc.once('exit', r));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
    await done;
    clearTimeout(timer);
    this.proc = null;
  }

  /** @param {NodeJS.Signals} signal */
  async restart(signal = 'SIGTERM') {
    await this.stop(signal);
    await this.start();
  }

  /**
   * A REST call; returns the parsed JSON body, throws on a non-2xx status.
   * @param {string} method @param {string} p @param {any} [body] @param {string} [token]
   */
  async api(method, p, body, token) {
    /** @type {Record<string,string>} */
    const headers = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const r = await fetch(this.url(p), {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${p} → ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }
}

/** The Chromium launch flags: quiet, no sandbox (containers), no GPU. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** axe-core's source, injected with page.evaluate (the CSP forbids inline script tags). */
export const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core on the page. Returns every violation; the caller fails on serious/critical.
 * @param {import('playwright-core').Page} page
 */
export async function axe(page) {
  const has = await page.evaluate(() => typeof (/** @type {any} */ (window).axe) === 'object');
  if (!has) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const w = /** @type {any} */ (window);
    // axe's default rule set: WCAG 2.x A and AA, and best practices (not the experimental rules).
    const res = await w.axe.run(document, { resultTypes: ['violations'] });
    return res.violations.map((/** @type {any} */ v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((/** @type {any} */ n) => `${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1).join('; ')}`),
      count: v.nodes.length,
    }));
  });
}

/** A tiny sequential test runner: every test runs, failures are collected and reported. */
export class Runner {
  constructor() {
    /** @type {{name: string, ok: boolean, ms: number, error?: string}[]} */
    this.results = [];
    /** @type {string[][]} */
    this.figures = [];
    /** @type {string[]} */
    this.notes = [];
    this.t0 = Date.now();
    /** @type {((test: string) => Promise<void>) | null} what to do after a failure (screenshots) */
    this.onFail = null;
    /** Which server build the figures are for. */
    this.build = '';
  }

  /** @param {string} name @param {() => Promise<void>} fn */
  async test(name, fn) {
    const t = Date.now();
    process.stdout.write(`\n▶ ${name}\n`);
    try {
      await fn();
      const ms = Date.now() - t;
      this.results.push({ name, ok: true, ms });
      process.stdout.write(`✔ ${name} (${(ms / 1000).toFixed(1)} s)\n`);
      return true;
    } catch (e) {
      const ms = Date.now() - t;
      const error = e instanceof Error ? (e.stack || e.message) : String(e);
      this.results.push({ name, ok: false, ms, error });
      process.stdout.write(`✘ ${name} (${(ms / 1000).toFixed(1)} s)\n${indent(error)}\n`);
      if (this.onFail) await this.onFail(name).catch((/** @type {unknown} */ x) => process.stdout.write(`  (no failure screenshots: ${x})\n`));
      return false;
    }
  }

  /** @param {string} what @param {string} value @param {string} bound */
  figure(what, value, bound) {
    this.figures.push([what, value, bound]);
  }

  /** @param {string} text */
  note(text) {
    this.notes.push(text);
    process.stdout.write(`  · ${text}\n`);
  }

  summary() {
    const failed = this.results.filter((r) => !r.ok);
    const out = [];
    if (this.figures.length) {
      out.push('', `Performance (this machine, a local server: ${this.build}; Chromium headless, cold cache):`);
      out.push(table([['measure', 'value', 'fails above'], ...this.figures]));
    }
    out.push('', table([['test', 'result', 'time'], ...this.results.map((r) => [r.name, r.ok ? 'ok' : 'FAILED', `${(r.ms / 1000).toFixed(1)} s`])]));
    out.push('', `${this.results.length - failed.length} passed, ${failed.length} failed, in ${((Date.now() - this.t0) / 1000).toFixed(1)} s`);
    for (const f of failed) out.push('', `FAILED: ${f.name}`, indent(f.error || ''));
    return { text: out.join('\n'), ok: failed.length === 0 };
  }
}

/** @param {string} s */
function indent(s) {
  return s.split('\n').map((l) => '    ' + l).join('\n');
}

/** @param {string[][]} rows */
export function table(rows) {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] || '').length)));
  const line = (/** @type {string[]} */ r) => '| ' + r.map((c, i) => (c || '').padEnd(w[i])).join(' | ') + ' |';
  return [line(rows[0]), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...rows.slice(1).map(line)].join('\n');
}

/**
 * @param {unknown} cond
 * @param {string} message
 * @returns {asserts cond}
 */
export function assert(cond, message) {
  if (!cond) throw new Error(message);
}
