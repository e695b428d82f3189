// Ad-hoc check (not part of the suite; deleted after): three nodes on one Postgres database
// behind nginx (deploy/nginx.conf, ports rewritten), three students in Chromium through nginx;
// the owning node is shut down, then the next owner is killed. Screenshots in /tmp/shots.
import { spawn, execSync } from 'node:child_process';
import fs from 'node:fs';
import { chromium } from 'playwright-core';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const BIN = process.env.DETENTE_BIN || 'target/debug/detente';
const DB = 'postgres://postgres@127.0.0.1:5432/detente_nodes_check';
const PORTS = [9381, 9382, 9383];
const FRONT = 9380;
const shots = '/tmp/shots';
fs.mkdirSync(shots, { recursive: true });
execSync(`psql -q postgres://postgres@127.0.0.1:5432/postgres -c "DROP DATABASE IF EXISTS detente_nodes_check WITH (FORCE)" -c "CREATE DATABASE detente_nodes_check"`);

const procs = {};
function startNode(i) {
  const port = PORTS[i];
  const env = { ...process.env, RUST_LOG: 'info' };
  for (const k of Object.keys(env)) if (k.startsWith('DETENTE_')) delete env[k];
  const log = fs.openSync(`/tmp/work/node${i + 1}.log`, 'a');
  procs[i] = spawn(BIN, ['serve', '--addr', `127.0.0.1:${port}`, '--database-url', DB, '--node-id', `node${i + 1}`,
    '--internal-url', `http://127.0.0.1:${port}`], { env, stdio: ['ignore', log, log] });
}
async function ready(port) {
  for (let i = 0; i < 200; i++) {
    try { const r = await fetch(`http://127.0.0.1:${port}/readyz`); if (r.ok) return; } catch { /* not yet */ }
    await sleep(100);
  }
  throw new Error(`node on ${port} not ready`);
}
for (let i = 0; i < 3; i++) startNode(i);
for (const p of PORTS) await ready(p);

let conf = fs.readFileSync('deploy/nginx.conf', 'utf8');
conf = conf.replace('events {}', 'pid /tmp/work/nginx.pid;\nerror_log /tmp/work/nginx-error.log;\nevents {}');
PORTS.forEach((p, i) => { conf = conf.replace(`node${i + 1}:8080`, `127.0.0.1:${p}`); });
conf = conf.replace('listen 80;', `listen ${FRONT};\n        access_log /tmp/work/nginx-access.log;`);
fs.writeFileSync('/tmp/work/nginx-check.conf', conf);
const nginx = spawn('nginx', ['-c', '/tmp/work/nginx-check.conf', '-g', 'daemon off;'], { stdio: 'inherit' });
await ready(FRONT);
const front = `http://127.0.0.1:${FRONT}`;

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const tid = (id) => `[data-testid="${id}"]`;
try {
  // The teacher makes a game through the front page, as a teacher would.
  const teacherCtx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const teacher = await teacherCtx.newPage();
  const made = await (await fetch(`${front}/api/games`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Three nodes', deadlines: { briefing: 0, negotiation: 0, orders: 0, review: 0 }, start: 'now' }) })).json();
  console.log('game', made.game_id, 'code', made.join_code);
  await teacherCtx.addInitScript(([key, id, s]) => {
    const all = JSON.parse(localStorage.getItem(key) || '{}');
    if (!all[id]) { all[id] = s; localStorage.setItem(key, JSON.stringify(all)); }
  }, ['detente.seats.v1', made.game_id, { token: made.control_token, seat_id: made.control_seat_id, seat: { role: 'control' }, name: 'Teacher', join_code: made.join_code }]);
  await teacher.goto(`${front}/game/${made.game_id}`);
  await teacher.locator(tid('connection-status') + '[data-status="connected"]').waitFor({ timeout: 15000 });

  const students = [];
  for (const [name, faction] of [['Anya', 'russia'], ['Ben', 'us_nato'], ['Chen', 'csto']]) {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await ctx.newPage();
    await page.goto(`${front}/join/${made.join_code}`);
    await page.locator(tid('join-name')).fill(name);
    await page.locator(tid(`join-faction-${faction}`)).check();
    await page.locator(tid('landing-join')).click();
    await page.waitForURL(/\/game\/[0-9a-f-]{36}$/);
    await page.locator(tid('connection-status') + '[data-status="connected"]').waitFor({ timeout: 15000 });
    students.push({ name, page });
  }
  const chat = async (page, text) => {
    await page.locator(tid('channel-plenary')).click();
    await page.locator(tid('chat-input')).fill(text);
    await page.locator(tid('chat-send')).click();
    await page.locator(tid('message'), { hasText: text }).first().waitFor({ timeout: 20000 });
  };
  await chat(students[0].page, 'Before anything happens.');
  await students[1].page.screenshot({ path: `${shots}/nodes-1-before.png` });

  const owner = () => execSync(`psql -At ${DB} -c "SELECT owner_node FROM games WHERE id = '${made.game_id}'"`).toString().trim();
  const statuses = async () => Promise.all(students.map((s) => s.page.locator(tid('connection-status')).getAttribute('data-status')));

  // 1. The owner shuts down gracefully.
  let o = owner();
  console.log('owner', o, '— SIGTERM');
  let i = Number(o.replace('node', '')) - 1;
  let t0 = Date.now();
  procs[i].kill('SIGTERM');
  await sleep(150);
  console.log('statuses 150 ms after SIGTERM', await statuses());
  await students[1].page.screenshot({ path: `${shots}/nodes-2-term-150ms.png` });
  for (const s of students) await s.page.locator(tid('connection-status') + '[data-status="connected"]').waitFor({ timeout: 20000 });
  console.log('all connected again after', Date.now() - t0, 'ms; owner now', owner());
  await chat(students[1].page, 'After the graceful shutdown.');
  for (const s of students) await s.page.locator(tid('message'), { hasText: 'After the graceful shutdown.' }).first().waitFor();
  await students[1].page.screenshot({ path: `${shots}/nodes-3-after-term.png` });
  if (procs[i].exitCode === null && procs[i].signalCode === null) await new Promise((r) => procs[i].once('exit', r));
  startNode(i);
  await ready(PORTS[i]);

  // 2. The new owner is killed (-9) and stays down.
  o = owner();
  console.log('owner', o, '— SIGKILL');
  i = Number(o.replace('node', '')) - 1;
  t0 = Date.now();
  procs[i].kill('SIGKILL');
  await sleep(1000);
  console.log('statuses 1 s after SIGKILL', await statuses());
  await students[2].page.screenshot({ path: `${shots}/nodes-4-kill-1s.png` });
  // A message typed while the game has no owner goes out once someone owns it.
  await students[2].page.locator(tid('channel-plenary')).click();
  await students[2].page.locator(tid('chat-input')).fill('Typed while the owner was dead.');
  await students[2].page.locator(tid('chat-send')).click();
  for (const s of students) await s.page.locator(tid('message'), { hasText: 'Typed while the owner was dead.' }).first().waitFor({ timeout: 30000 });
  console.log('message delivered after the kill in', Date.now() - t0, 'ms; owner now', owner());
  for (const s of students) await s.page.locator(tid('connection-status') + '[data-status="connected"]').waitFor({ timeout: 30000 });
  await students[2].page.screenshot({ path: `${shots}/nodes-5-after-kill.png` });
  await teacher.screenshot({ path: `${shots}/nodes-6-teacher-after.png` });
  for (const s of students) {
    const texts = await s.page.locator(`${tid('messages')} ${tid('message')} .message-text`).allTextContents();
    const dup = texts.filter((t, k) => texts.indexOf(t) !== k);
    console.log(s.name, texts.length, 'messages; doubled:', dup);
  }
  const answeredBy = new Set();
  for (let k = 0; k < 12; k++) {
    const r = await fetch(`${front}/api/games/${made.game_id}`, { headers: { authorization: `Bearer ${made.control_token}` } });
    answeredBy.add(`${r.status} ${r.headers.get('x-detente-node')}`);
  }
  console.log('summaries through nginx answered by', [...answeredBy]);
  startNode(i);
  await ready(PORTS[i]);
} finally {
  await browser.close();
  nginx.kill('SIGTERM');
  for (const p of Object.values(procs)) p.kill('SIGTERM');
}
