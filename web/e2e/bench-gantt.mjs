// Schedule view benchmark: 100 printers x 1,000 jobs in headless Chromium, measured with the
// Performance API (not a timed test). The page is the real export; only /graphql is answered
// by this script with a generated plan, so no server is needed: `node e2e/bench-gantt.mjs URL`
// where URL serves web/out (e.g. `python3 -m http.server -d out 8000` or `gantry serve`).
import { launch, newPage } from './lib.mjs';

const BASE = process.argv[2] ?? process.env.GANTRY_URL ?? 'http://127.0.0.1:8080';
const PRINTERS = 100;
const JOBS = 1000;

function plan() {
  const now = Date.now();
  const printers = [];
  let job = 1;
  for (let p = 1; p <= PRINTERS; p++) {
    const jobs = [];
    let t = now - 30 * 60_000;
    for (let k = 0; k < JOBS / PRINTERS; k++, job++) {
      const setup = k % 3 === 0 ? 15 : 0;
      const start = t + setup * 60_000;
      const end = start + (60 + ((job * 37) % 240)) * 60_000;
      const due = end + (((job * 13) % 7) - 2) * 3600_000;
      jobs.push({
        jobId: String(job), orderId: String(1 + (job % 211)), start: new Date(start).toISOString(), end: new Date(end).toISOString(),
        setupMinutes: setup, dueAt: new Date(due).toISOString(), late: end > due,
        materialId: String(1 + (job % 6)), setupClass: ['PLA-BLK', 'PLA-WHT', 'PETG-RED', 'PETG-BLK', 'TPU-WHT', 'ASA-GRY'][job % 6],
        pinned: job % 97 === 0, reason: null,
      });
      t = end;
    }
    printers.push({ printerId: String(p), jobs });
  }
  return {
    plan: {
      computedAt: new Date(now).toISOString(), objective: 123456, lowerBound: 120000, gap: 0.028, method: 'bench', status: 'feasible',
      makespanMinutes: 9000, solveMs: 1, printers, unscheduled: [],
    },
    printers: printers.map((p) => ({ id: p.printerId, name: `P-${p.printerId.padStart(3, '0')}`, status: 'IDLE' })),
    // Off-shift hours shaded across the chart: a shift every day 06:00–22:00 (UTC).
    maintenanceWindows: [],
    operatorShifts: [0, 1, 2, 3, 4, 5, 6].map((weekday) => ({ weekday, startMinute: 360, endMinute: 1320 })),
  };
}

const browser = await launch();
const page = await newPage(browser, 1440);
const body = JSON.stringify({ data: plan() });
await page.route('**/graphql', (route) => route.fulfill({ status: 200, contentType: 'application/json', body }));
await page.goto(`${BASE}/login/`);
await page.evaluate(() => {
  localStorage.setItem('gantry.session', JSON.stringify({
    accessToken: 'bench', refreshToken: 'bench', expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    user: { id: '1', email: 'bench@local', displayName: 'Bench', role: 'PLANNER', customerId: null, permissions: ['production:read', 'equipment:read'] },
  }));
});
await page.goto(`${BASE}/console/schedule/`);
await page.locator('[data-testid=gantt-job]').first().waitFor({ timeout: 30_000 });
const firstRender = await page.evaluate(() => performance.now());
const rendered = await page.locator('[data-testid=gantt-row]').count();
const result = await page.evaluate(
  () =>
    new Promise((resolve) => {
      const box = document.querySelector('[data-testid=gantt]');
      const frames = [];
      let last = performance.now();
      const started = last;
      const step = (now) => {
        frames.push(now - last);
        last = now;
        box.scrollTop = (box.scrollTop + 40) % (box.scrollHeight - box.clientHeight);
        box.scrollLeft = (box.scrollLeft + 25) % Math.max(1, box.scrollWidth - box.clientWidth);
        box.dispatchEvent(new Event('scroll'));
        if (now - started < 3000) requestAnimationFrame(step);
        else {
          frames.shift();
          frames.sort((a, b) => a - b);
          resolve({ frames: frames.length, fps: frames.length / ((now - started) / 1000), p95: frames[Math.floor(frames.length * 0.95)] });
        }
      };
      requestAnimationFrame(step);
    }),
);
console.log(
  `gantt ${PRINTERS} printers x ${JOBS} jobs: first render ${firstRender.toFixed(0)} ms after navigation start ` +
    `(${rendered} of ${PRINTERS} rows in the DOM); panning ${result.fps.toFixed(1)} fps, p95 frame ${result.p95.toFixed(1)} ms`,
);
await browser.close();
