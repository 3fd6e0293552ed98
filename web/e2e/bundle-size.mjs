// First-load JavaScript per route of the static export, gzipped: every script the route's HTML
// loads (Next 16's build output no longer prints sizes). Customer pages must stay under 200 kB.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';

const OUT = path.resolve(import.meta.dirname, '../out');
const LIMIT = 200 * 1024;
const CUSTOMER = ['/login/', '/portal/', '/portal/shop/', '/portal/cart/', '/portal/orders/', '/portal/order/', '/account/'];

function pages(dir, prefix = '/') {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return f === '_next' ? [] : pages(p, `${prefix}${f}/`);
    return f === 'index.html' ? [[prefix, p]] : [];
  });
}

const sizes = new Map();
const gz = (src) => {
  if (!sizes.has(src)) sizes.set(src, gzipSync(readFileSync(path.join(OUT, src))).length);
  return sizes.get(src);
};

let over = 0;
const rows = pages(OUT).sort(([a], [b]) => a.localeCompare(b));
for (const [route, file] of rows) {
  const html = readFileSync(file, 'utf8');
  // Modern browsers skip `noModule` scripts (Next's legacy polyfills).
  const tags = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]).filter((t) => !/nomodule/i.test(t));
  const srcs = tags.flatMap((t) => [...t.matchAll(/src="(\/_next\/static\/[^"]+\.js)"/g)].map((m) => m[1]));
  const scripts = [...new Set(srcs)];
  const total = scripts.reduce((n, s) => n + gz(s), 0);
  const limited = CUSTOMER.includes(route);
  if (limited && total > LIMIT) over++;
  console.log(`${route.padEnd(24)} ${(total / 1024).toFixed(1).padStart(7)} kB gz${limited ? (total > LIMIT ? '  OVER 200 kB' : '  (customer, < 200 kB)') : ''}`);
}
process.exit(over ? 1 : 0);
