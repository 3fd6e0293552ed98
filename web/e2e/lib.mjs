// A small browser-test harness over playwright-core driving Debian's Chromium (no browser
// downloads here). Tests run in order against one real `gantry serve --demo`.
import { chromium } from 'playwright-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

export const BASE = process.env.GANTRY_URL ?? 'http://127.0.0.1:8080';
export const PASSWORD = process.env.E2E_PASSWORD ?? 'e2e-password-123';
export const ARTIFACTS = process.env.E2E_ARTIFACTS ?? path.resolve(import.meta.dirname, 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // WebGL in software for the 3D preview.
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
    ],
  });
}

/** A fresh context (own storage) at a viewport width; console errors are collected. */
export async function newPage(browser, width = 1440) {
  const context = await browser.newContext({ viewport: { width, height: width < 500 ? 800 : 900 }, locale: 'en-GB' });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.setDefaultTimeout(15_000);
  return page;
}

export async function login(page, email, { password = PASSWORD, expectPath } = {}) {
  await page.goto(`${BASE}/login/`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 15_000 });
  if (expectPath) await page.waitForURL((u) => u.pathname === expectPath);
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

export async function waitFor(fn, message, timeout = 20_000, every = 250) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`${message} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

export async function screenshot(page, name) {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** axe-core on the current page: the serious and critical violations. */
export async function axe(page) {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help, target: v.nodes[0]?.target }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Does the page fit its viewport's width (no sideways scrolling)? */
export const fitsWidth = (page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

/** A binary STL of an axis-aligned cube with edge `mm`. */
export function cubeStl(mm = 20) {
  const v = (x, y, z) => [x * mm, y * mm, z * mm];
  const quads = [
    [v(0, 0, 0), v(0, 1, 0), v(1, 1, 0), v(1, 0, 0), [0, 0, -1]],
    [v(0, 0, 1), v(1, 0, 1), v(1, 1, 1), v(0, 1, 1), [0, 0, 1]],
    [v(0, 0, 0), v(1, 0, 0), v(1, 0, 1), v(0, 0, 1), [0, -1, 0]],
    [v(0, 1, 0), v(0, 1, 1), v(1, 1, 1), v(1, 1, 0), [0, 1, 0]],
    [v(0, 0, 0), v(0, 0, 1), v(0, 1, 1), v(0, 1, 0), [-1, 0, 0]],
    [v(1, 0, 0), v(1, 1, 0), v(1, 1, 1), v(1, 0, 1), [1, 0, 0]],
  ];
  const tris = quads.flatMap(([a, b, c, d, n]) => [
    [n, a, b, c],
    [n, a, c, d],
  ]);
  const buf = Buffer.alloc(84 + tris.length * 50);
  buf.write('gantry e2e cube', 0);
  buf.writeUInt32LE(tris.length, 80);
  tris.forEach((t, i) => {
    let o = 84 + i * 50;
    for (const p of t) for (const c of p) {
      buf.writeFloatLE(c, o);
      o += 4;
    }
  });
  return buf;
}

export function writeArtifact(name, data) {
  const file = path.join(ARTIFACTS, name);
  writeFileSync(file, data);
  return file;
}

/** Runs a GraphQL operation in the page with the signed-in user's token; returns `data`. */
export async function gql(page, query, variables = {}) {
  const r = await page.evaluate(
    async ([q, v]) => {
      const s = JSON.parse(localStorage.getItem('gantry.session'));
      const res = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${s.accessToken}` },
        body: JSON.stringify({ query: q, variables: v }),
      });
      return res.json();
    },
    [query, variables],
  );
  if (r.errors) throw new Error(`${query}: ${JSON.stringify(r.errors)}`);
  return r.data;
}
