// Printer grid latency benchmark (not a timed test): how long after a printer's status change is
// committed the grid shows it, through the outbox relay, the `printerStatus` subscription and
// the RTK Query cache patch. Against a real `gantry serve --demo`: `GANTRY_URL=… node
// e2e/bench-grid.mjs` (run by scripts/test-web.sh). The change is made by `setPrinterStatus`
// (maintenance ↔ idle, on a printer the benchmark adds and retires) from inside the page, so
// both times come from one clock.
import { BASE, launch, login, newPage } from './lib.mjs';

// An even number of rounds leaves the printer idle as it was.
const ROUNDS = 2 * Math.ceil(Number(process.env.BENCH_ROUNDS ?? 20) / 2);
const browser = await launch();
const page = await newPage(browser, 1440);
await login(page, 'operator@gantry.local');
await page.goto(`${BASE}/console/printers/`);
await page.getByTestId('printer-tile').first().waitFor({ timeout: 30_000 });
const result = await page.evaluate(async (rounds) => {
  const s = JSON.parse(localStorage.getItem('gantry.session'));
  const gql = async (query, variables) => {
    const r = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${s.accessToken}` },
      body: JSON.stringify({ query, variables }),
    });
    return r.json();
  };
  // A printer of its own (idle, no agent), whatever the other tests left the farm in; retired
  // afterwards.
  const created = await gql(
    'mutation($i: CreatePrinterInput!) { createPrinter(input: $i) { id name } }',
    { i: { name: `bench-grid-${Date.now() % 1_000_000}`, model: 'Bench', technology: 'FDM', buildVolume: { xMm: 200, yMm: 200, zMm: 200 }, materials: ['PLA'], hourlyCost: { minor: 100, currency: 'EUR' } } },
  );
  if (created.errors) throw new Error(JSON.stringify(created.errors));
  const p = created.data.createPrinter;
  const badge = () => document.querySelector(`[data-testid=printer-tile][data-printer="${p.name}"] [data-testid=printer-status]`);
  const shown = (status) =>
    new Promise((resolve) => {
      const check = () => (badge()?.getAttribute('data-status') === status ? resolve(performance.now()) : requestAnimationFrame(check));
      check();
    });
  // The new printer's tile arrives with the grid's refetch; time only what follows.
  for (let i = 0; i < 200 && !badge(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!badge()) throw new Error('the new printer never showed on the grid');
  const afterCommit = [];
  for (let i = 0; i < rounds; i++) {
    const to = i % 2 === 0 ? 'MAINTENANCE' : 'IDLE';
    const seen = shown(to);
    const r = await gql('mutation($id: ID!, $s: PrinterStatus!) { setPrinterStatus(id: $id, status: $s) { status } }', { id: p.id, s: to });
    const committed = performance.now();
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    afterCommit.push(Math.max(0, (await seen) - committed));
  }
  await gql('mutation($id: ID!) { retirePrinter(id: $id) { requeuedJobs } }', { id: p.id });
  afterCommit.sort((a, b) => a - b);
  const q = (f) => afterCommit[Math.min(afterCommit.length - 1, Math.floor(afterCommit.length * f))];
  return { printer: p.name, n: afterCommit.length, p50: q(0.5), p95: q(0.95), max: afterCommit[afterCommit.length - 1] };
}, ROUNDS);
console.log(
  `printer grid: status change committed → shown on the tile, ${result.n} changes of ${result.printer}: ` +
    `p50 ${result.p50.toFixed(0)} ms, p95 ${result.p95.toFixed(0)} ms, max ${result.max.toFixed(0)} ms (target: within 1 s)`,
);
await browser.close();
