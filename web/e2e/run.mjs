// Browser tests of the web app against a real `gantry serve --demo` (started by
// scripts/test-web.sh, which also sets the demo accounts' password and mints printer tokens).
// Prints a plain `N passed, N failed` line for CI.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  ARTIFACTS, BASE, assert, axe, cubeStl, fitsWidth, gql, launch, login, newPage, screenshot, waitFor, writeArtifact,
} from './lib.mjs';
import { planningTests } from './planning.mjs';
import { ledgerTests } from './ledger.mjs';

const ADMIN = 'admin@gantry.local';
const PLANNER = 'planner@gantry.local';
const OPERATOR = 'operator@gantry.local';
const ACCOUNTANT = 'accountant@gantry.local';
const SALES = 'sales@gantry.local';
const CUSTOMER = 'ada@example.com';
const shared = {};
const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('gantry serves the app at / beside the API; unknown paths get the translated 404 page', async (b) => {
  const page = await newPage(b);
  const home = await page.goto(`${BASE}/`);
  assert(home.status() === 200, `/ answered ${home.status()}`);
  await page.waitForURL((u) => u.pathname === '/login/');
  const missing = await page.goto(`${BASE}/no/such/page`);
  assert(missing.status() === 404, `unknown path answered ${missing.status()}`);
  await page.getByRole('heading', { name: 'This page does not exist' }).waitFor();
  const health = await page.request.get(`${BASE}/healthz`);
  assert(health.ok(), 'healthz still served');
  const dir = await page.request.get(`${BASE}/console`, { maxRedirects: 0 });
  assert(dir.status() === 308 && dir.headers().location === '/console/', `directory redirect ${dir.status()}`);
  await page.context().close();
});

test('sign-in refuses a wrong password with a translated message, in English and Russian', async (b) => {
  const page = await newPage(b);
  await page.goto(`${BASE}/login/`);
  await page.fill('#email', PLANNER);
  await page.fill('#password', 'not-the-password');
  await page.click('button[type=submit]');
  const err = page.getByTestId('error-text');
  await err.waitFor();
  assert((await err.getAttribute('data-reason')) === 'AUTH_INVALID_CREDENTIALS', 'reason');
  assert((await err.textContent()).includes('Wrong e-mail or password'), 'english text');
  await page.getByRole('radio', { name: 'RU' }).click();
  await waitFor(async () => (await err.textContent()).includes('Неверная эл. почта'), 'russian text');
  assert((await page.getAttribute('html', 'lang')) === 'ru', 'html lang=ru');
  await page.getByRole('radio', { name: 'EN' }).click();
  await page.context().close();
});

test('a new customer signs up (a taken e-mail is refused with a translated reason)', async (b) => {
  const page = await newPage(b);
  await page.goto(`${BASE}/login/`);
  await page.getByRole('link', { name: 'Create one' }).click();
  await page.waitForURL((u) => u.pathname === '/signup/');
  const fill = async (email) => {
    await page.fill('#name', 'Мария Петрова');
    await page.fill('#email', email);
    await page.fill('#password', 'a long enough secret');
    await page.click('button[type=submit]');
  };
  await fill(CUSTOMER);
  const err = page.getByTestId('error-text');
  await err.waitFor();
  assert((await err.getAttribute('data-reason')) === 'USER_EMAIL_TAKEN', 'a taken e-mail is refused');
  assert((await err.textContent()).includes('already exists'), 'translated');
  const email = `maria.${Date.now()}@example.com`;
  await fill(email);
  await page.waitForURL((u) => u.pathname === '/portal/', { timeout: 15_000 });
  shared.customer = { email, password: 'a long enough secret' };
  await page.context().close();
});

test('the new customer uploads an STL, sees the 3D preview, checks and prices, and orders', async (b) => {
  assert(shared.customer, 'a customer from the sign-up test');
  const page = await newPage(b);
  await login(page, shared.customer.email, { password: shared.customer.password, expectPath: '/portal/' });
  const stl = writeArtifact('cube.stl', cubeStl(20));
  await page.getByTestId('model-input').setInputFiles(stl);
  await waitFor(async () => (await page.getByTestId('model-viewer').getAttribute('data-state')) !== 'loading', 'preview');
  assert((await page.getByTestId('model-viewer').getAttribute('data-state')) === 'ready', '3D preview rendered');
  await waitFor(async () => /20.*×.*20.*×.*20/.test((await page.getByTestId('model-size').textContent()) ?? ''), 'analysis size');
  await page.getByTestId('get-prices').click();
  const rows = page.getByTestId('price-row');
  await rows.first().waitFor();
  await page.getByTestId('order-quote').first().waitFor();
  const text = await page.getByTestId('price-table').textContent();
  assert(/€|EUR/.test(text), `prices shown: ${text}`);
  // Each price says which printer model its estimate was made for (Quote.printerModel).
  // (one of the models the checks say fit it).
  const estimatedFor = (await page.getByTestId('quote-printer-model').first().textContent()) ?? '';
  const fitting = (await page.getByTestId('analysis').textContent()) ?? '';
  const shown = /^estimated for (.+)$/.exec(estimatedFor)?.[1];
  assert(shown && fitting.includes(shown), `printer model shown: ${estimatedFor} (fits: ${fitting})`);
  await screenshot(page, 'portal-quote-1440');
  await page.getByTestId('order-quote').first().click();
  await page.waitForURL((u) => u.pathname === '/portal/order/');
  shared.orderId = new URL(page.url()).searchParams.get('id');
  await waitFor(async () => (await page.getByTestId('order-status').getAttribute('data-status')) === 'PLACED', 'order placed');
  await screenshot(page, 'portal-order-1440');
  await page.context().close();
});

test('a customer shops: catalog, product with reviews, cart, checkout', async (b) => {
  const page = await newPage(b);
  await login(page, CUSTOMER);
  await page.goto(`${BASE}/portal/shop/`);
  await page.getByTestId('product-card').first().waitFor();
  const cards = await page.getByTestId('product-card').count();
  assert(cards > 5, `catalog shows products (${cards})`);
  await page.getByTestId('product-card').first().getByRole('button').click();
  await page.getByTestId('product-panel').getByRole('heading', { name: 'Reviews' }).waitFor();
  await page.fill('#shop-qty', '2');
  await page.getByTestId('add-to-cart').click();
  await page.getByText('Added to your cart.').waitFor();
  await page.goto(`${BASE}/portal/cart/`);
  await page.getByTestId('cart').waitFor();
  await screenshot(page, 'portal-cart-1440');
  await page.getByTestId('checkout').click();
  await page.waitForURL((u) => u.pathname === '/portal/order/');
  await waitFor(async () => (await page.getByTestId('order-status').getAttribute('data-status')) === 'PLACED', 'placed');
  await page.context().close();
});

test('a customer cannot open staff pages, and the API refuses them anyway', async (b) => {
  const page = await newPage(b);
  await login(page, CUSTOMER);
  await page.goto(`${BASE}/console/printers/`);
  await page.waitForURL((u) => u.pathname === '/portal/');
  const answer = await page.evaluate(async () => {
    const s = JSON.parse(localStorage.getItem('gantry.session'));
    const r = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${s.accessToken}` },
      body: JSON.stringify({ query: '{ printers { id } }' }),
    });
    return r.json();
  });
  assert(answer.errors?.[0]?.extensions?.code === 'FORBIDDEN', `API answer: ${JSON.stringify(answer)}`);
  await page.context().close();
});

test('bad uploads are refused with a translated reason', async (b) => {
  const page = await newPage(b);
  await login(page, CUSTOMER);
  await page.getByTestId('model-input').setInputFiles(writeArtifact('notes.txt', 'hello'));
  await page.getByText('This kind of file is not accepted').waitFor();
  const broken = cubeStl(10).subarray(0, 200);
  await page.getByTestId('model-input').setInputFiles(writeArtifact('broken.stl', broken));
  const err = page.getByTestId('error-text');
  await err.waitFor();
  const reason = await err.getAttribute('data-reason');
  assert(reason?.startsWith('MODEL_'), `reason ${reason}`);
  assert(!(await err.textContent()).includes(reason), 'translated, not the code');
  await page.context().close();
});

test('staff take the order through payment (the customer sees it live) and production; its jobs appear on the schedule after a re-plan', async (b) => {
  assert(shared.orderId, 'an order from the customer test');
  // The customer watches the order: its status must change live (orderStatus subscription).
  const customer = await newPage(b);
  await login(customer, shared.customer.email, { password: shared.customer.password });
  await customer.goto(`${BASE}/portal/order/?id=${shared.orderId}`);
  await customer.getByTestId('order-status').waitFor();
  await customer.evaluate(() => {
    window.__noReload = true;
  });
  const admin = await newPage(b);
  await login(admin, ADMIN);
  await admin.goto(`${BASE}/console/order/?id=${shared.orderId}`);
  await admin.getByTestId('order-pay').click();
  await waitFor(async () => (await admin.getByTestId('order-status').getAttribute('data-status')) === 'PAID', 'paid');
  await admin.context().close();
  await waitFor(async () => (await customer.getByTestId('order-status').getAttribute('data-status')) === 'PAID', 'the customer sees PAID live');
  assert(await customer.evaluate(() => window.__noReload === true), 'the customer page was not reloaded');
  await customer.context().close();

  const page = await newPage(b);
  await login(page, PLANNER, { expectPath: '/console/' });
  await page.goto(`${BASE}/console/order/?id=${shared.orderId}`);
  await page.getByTestId('order-startProduction').click();
  await waitFor(async () => (await page.getByTestId('order-status').getAttribute('data-status')) === 'IN_PRODUCTION', 'in production');
  await page.getByTestId('job-row').first().waitFor();
  await screenshot(page, 'console-order-1440');
  await page.goto(`${BASE}/console/schedule/`);
  await page.getByTestId('gantt').waitFor({ timeout: 30_000 });
  await page.getByTestId('replan').click();
  await waitFor(
    async () => (await page.locator(`[data-testid=gantt-job][data-order="${shared.orderId}"]`).count()) > 0,
    `jobs of order ${shared.orderId} on the schedule`,
    30_000,
  );
  // What-if: a fresh solve beside the current plan, committing nothing.
  await page.getByTestId('what-if').click();
  const scheduled = page.getByTestId('what-if-scheduled');
  await scheduled.waitFor({ timeout: 30_000 });
  const cells = await scheduled.locator('td').allTextContents();
  assert(cells.length === 2 && Number(cells[1]) >= 1, `what-if scheduled jobs: ${cells}`);
  // A scenario: the first printer down for 8 hours from now; the impact on due dates is listed.
  const scenario = page.getByLabel('Printer down (scenario)');
  const first = await scenario.locator('option').nth(1).getAttribute('value');
  await scenario.selectOption(first);
  await page.getByTestId('what-if').click();
  await page.getByTestId('what-if-impact').waitFor({ timeout: 30_000 });
  await screenshot(page, 'console-schedule-1440');
  await page.context().close();
});

test('a planner sees why a job is where it is, and drags it to another printer to pin it', async (b) => {
  assert(shared.orderId, 'an order with jobs on the schedule');
  const page = await newPage(b);
  await login(page, PLANNER);
  await page.goto(`${BASE}/console/schedule/`);
  const bar = page.locator(`[data-testid=gantt-job][data-order="${shared.orderId}"]`).first();
  await bar.waitFor({ timeout: 30_000 });
  const jobId = await bar.getAttribute('data-job');
  await bar.click();
  const card = page.getByTestId('job-reason');
  await card.waitFor();
  assert((await card.textContent()).includes(`#${jobId}`), 'the card names the job');
  const code = await card.getByTestId('reason-printer').getAttribute('data-code');
  assert(['only_printer', 'material_loaded', 'earliest_finish', 'least_cost', 'search'].includes(code), `reason code ${code}`);
  await screenshot(page, 'console-schedule-reason-1440');
  // Drag the bar one row down (or up from the last row) and 40 minutes later.
  const rows = page.getByTestId('gantt-row');
  const names = await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-printer')));
  assert(names.length >= 2, `rows: ${names}`);
  const from = await page.locator('[data-testid=gantt-row]', { has: page.locator(`[data-job="${jobId}"]`) }).getAttribute('data-printer');
  const i = names.indexOf(from);
  const target = names[i + 1 < names.length ? i + 1 : i - 1];
  const box = await bar.boundingBox();
  const sent = page.waitForRequest((r) => r.url().endsWith('/graphql') && (r.postData() ?? '').includes('ScheduleJob'));
  await page.mouse.move(box.x + Math.min(10, box.width / 2), box.y + box.height / 2);
  await page.mouse.down();
  const dy = (i + 1 < names.length ? 1 : -1) * 36;
  for (let k = 1; k <= 5; k++) await page.mouse.move(box.x + Math.min(10, box.width / 2) + 12 * k, box.y + box.height / 2 + (dy * k) / 5);
  await page.getByTestId('drag-ghost').waitFor();
  await page.mouse.up();
  const request = JSON.parse((await sent).postData());
  const printers = await page.evaluate(async () => {
    const s = JSON.parse(localStorage.getItem('gantry.session'));
    const r = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${s.accessToken}` },
      body: JSON.stringify({ query: '{ printers { id name } }' }),
    });
    return (await r.json()).data.printers;
  });
  const targetId = printers.find((p) => p.name === target)?.id;
  assert(request.variables.id === jobId && request.variables.printerId === targetId, `scheduleJob ${JSON.stringify(request.variables)} for ${target}`);
  // Either the job is pinned there (its bar moves to that row after the plan refreshes) or the
  // API says why not, translated.
  await waitFor(
    async () =>
      (await page.locator(`[data-testid=gantt-row][data-printer="${target}"] [data-job="${jobId}"]`).count()) > 0 ||
      (await page.getByTestId('error-text').count()) > 0,
    'the job on its new printer, or the reason it cannot go there',
    30_000,
  );
  // A pinned bar is marked; its card releases the pin, and the next plan no longer marks it.
  const moved = page.locator(`[data-testid=gantt-row][data-printer="${target}"] [data-job="${jobId}"]`);
  if ((await moved.count()) > 0) {
    await waitFor(async () => (await moved.getAttribute('data-pinned')) === 'true', 'the moved bar is marked pinned', 30_000);
    await moved.click();
    await page.getByTestId('job-pinned').waitFor();
    await page.getByTestId('unpin').click();
    await waitFor(
      async () => (await page.locator(`[data-testid=gantt-job][data-job="${jobId}"][data-pinned]`).count()) === 0,
      'the released job is no longer pinned in the next plan',
      30_000,
    );
  }
  await page.context().close();
});

test('a planner sets operator shifts: off-shift hours are shaded and bars carry their material class', async (b) => {
  const page = await newPage(b);
  await login(page, PLANNER);
  await page.goto(`${BASE}/console/schedule/`);
  await page.getByTestId('gantt').waitFor({ timeout: 30_000 });
  const bar = page.getByTestId('gantt-job').first();
  await bar.waitFor({ timeout: 30_000 });
  const cls = await bar.getAttribute('data-class');
  assert(cls && (await page.getByTestId('class-legend').textContent()).includes(cls), `bar class ${cls} in the legend`);
  assert((await page.getByTestId('gantt-off-shift').count()) === 0, 'no shifts: nothing shaded');
  // A bad time is refused in the browser; a shift every day 06:00–22:00 is saved.
  const editor = page.getByTestId('shifts');
  for (let d = 0; d < 7; d++) await editor.getByTestId('shift-add').click();
  const rows = editor.getByTestId('shift-row');
  for (let d = 0; d < 7; d++) {
    const row = rows.nth(d);
    await row.locator('select').selectOption(String(d));
    await row.locator('input').nth(0).fill(d === 0 ? '6:75' : '06:00');
    await row.locator('input').nth(1).fill('22:00');
  }
  await editor.getByTestId('shift-save').click();
  await editor.getByRole('alert').waitFor();
  await rows.nth(0).locator('input').nth(0).fill('06:00');
  const saved = page.waitForResponse((r) => r.url().endsWith('/graphql') && (r.request().postData() ?? '').includes('SetOperatorShifts'));
  await editor.getByTestId('shift-save').click();
  await saved;
  await waitFor(async () => (await page.getByTestId('gantt-off-shift').count()) > 0, 'off-shift hours shaded', 30_000);
  const shifts = await gql(page, '{ operatorShifts { weekday startMinute endMinute } }');
  assert(shifts.operatorShifts.length === 7 && shifts.operatorShifts.every((s) => s.startMinute === 360 && s.endMinute === 1320), JSON.stringify(shifts));
  await screenshot(page, 'console-schedule-shifts-1440');
  // Back to always staffed, so the tests that follow plan as before.
  await gql(page, 'mutation { setOperatorShifts(shifts: []) { weekday } }');
  await page.context().close();
});

planningTests(test, { ADMIN, PLANNER });

test('an operator edits a printer into a group, filters the grid by it, and retires a printer', async (b) => {
  const page = await newPage(b);
  await login(page, OPERATOR);
  const name = `e2e-retire-${Date.now() % 100000}`;
  const created = await gql(
    page,
    'mutation($i: CreatePrinterInput!) { createPrinter(input: $i) { id } }',
    { i: { name, model: 'E2E', technology: 'FDM', buildVolume: { xMm: 200, yMm: 200, zMm: 200 }, materials: ['PLA'], hourlyCost: { minor: 100, currency: 'EUR' } } },
  );
  const id = created.createPrinter.id;
  await page.goto(`${BASE}/console/equipment/`);
  await page.getByLabel('Printer', { exact: true }).selectOption({ label: `${name} (E2E)` });
  const edit = page.getByTestId('printer-edit');
  await edit.waitFor();
  // Another printer's name is refused with the server's translated reason; then it saves.
  const other = (await gql(page, '{ printers { name } }')).printers.find((p) => p.name !== name).name;
  await edit.locator('#pe-name').fill(other);
  await edit.locator('#pe-group').fill('E2E room');
  await edit.getByTestId('printer-save').click();
  await waitFor(async () => (await edit.getByTestId('error-text').getAttribute('data-reason')) === 'EQUIPMENT_NAME_TAKEN', 'name taken');
  await edit.locator('#pe-name').fill(name);
  await edit.locator('#pe-speed').fill('110');
  await edit.getByTestId('printer-save').click();
  await waitFor(async () => (await gql(page, 'query($id: ID!) { printer(id: $id) { group speedFactorPct } }', { id })).printer.group === 'E2E room', 'group saved');
  await page.goto(`${BASE}/console/printers/`);
  await page.getByTestId('printer-tile').first().waitFor();
  await page.getByLabel('Filter by group').selectOption('E2E room');
  await waitFor(async () => (await page.getByTestId('printer-tile').count()) === 1, 'one printer in the group');
  assert((await page.getByTestId('printer-tile').getAttribute('data-printer')) === name, 'the grouped printer');
  await page.goto(`${BASE}/console/equipment/`);
  await page.getByLabel('Printer', { exact: true }).selectOption({ label: `${name} (E2E)` });
  await page.getByTestId('printer-edit').waitFor();
  await page.getByTestId('printer-retire').click();
  await page.getByTestId('printer-retire-confirm').click();
  await waitFor(async () => !(await gql(page, '{ printers { name } }')).printers.some((p) => p.name === name), 'the retired printer leaves the farm');
  assert((await gql(page, 'query($id: ID!) { printer(id: $id) { retiredAt } }', { id })).printer.retiredAt, 'retiredAt set');
  await page.context().close();
});

test('staff ship a ready order: a parcel moves to delivered and the order follows', async (b) => {
  const page = await newPage(b);
  await login(page, ADMIN);
  const ready = await gql(page, '{ orders(first: 20, status: READY) { edges { node { id } } } }');
  const orderId = ready.orders.edges[0]?.node.id;
  assert(orderId, 'a ready order in the demo farm');
  await page.goto(`${BASE}/console/order/?id=${orderId}`);
  await page.getByTestId('shipments').waitFor({ timeout: 30_000 });
  await page.fill('#ship-tracking', `E2E${Date.now() % 1000000}`);
  await page.getByTestId('ship-add').click();
  const parcel = page.getByTestId('shipment').first();
  await parcel.waitFor();
  await parcel.getByTestId('ship-IN_TRANSIT').click();
  await waitFor(async () => (await parcel.getAttribute('data-status')) === 'IN_TRANSIT', 'in transit');
  await parcel.getByTestId('ship-DELIVERED').click();
  await waitFor(async () => (await parcel.getAttribute('data-status')) === 'DELIVERED', 'delivered');
  await waitFor(async () => (await page.getByTestId('order-status').getAttribute('data-status')) === 'DELIVERED', 'the order is delivered');
  await screenshot(page, 'console-order-shipped-1440');
  await page.context().close();
});

test('an accountant reads the P&L, the balanced trial balance and the paid order\'s invoice (PDF)', async (b) => {
  assert(shared.orderId, 'a paid order from the staff test');
  const page = await newPage(b);
  await login(page, ACCOUNTANT);
  await page.goto(`${BASE}/console/finance/`);
  await page.getByTestId('trial-balance').waitFor();
  assert((await page.getByTestId('trial-balance').textContent()) === 'Balanced', 'trial balance is zero');
  await page.getByTestId('pnl-chart').waitFor();
  await page.getByTestId('cash-flow').waitFor();
  assert((await page.getByTestId('pnl-revenue').textContent()) !== '', 'revenue shown');
  const csv = page.waitForEvent('download');
  await page.getByTestId('csv-PROFIT_AND_LOSS').click();
  const csvText = readFileSync(await (await csv).path(), 'utf8');
  assert(/period|month/i.test(csvText.split('\n')[0]), `CSV header: ${csvText.split('\n')[0]}`);
  await page.getByRole('tab', { name: 'Invoices' }).click();
  const row = page.getByTestId('invoice-row').filter({ hasText: `#${shared.orderId}` }).first();
  await row.waitFor();
  const pdf = page.waitForEvent('download');
  await row.getByRole('button').click();
  const bytes = readFileSync(await (await pdf).path());
  assert(bytes.subarray(0, 5).toString() === '%PDF-', 'a real PDF');
  await page.getByRole('tab', { name: 'Margins' }).click();
  await page.getByTestId('margins-table').waitFor();
  await page.getByRole('radio', { name: 'Customer' }).click();
  await waitFor(async () => (await page.getByTestId('margins-by').locator('tbody tr').count()) > 0, 'margins by customer');
  await screenshot(page, 'console-finance-1440');
  await page.context().close();
});

ledgerTests(test, { ACCOUNTANT, OPERATOR });

test('sales work a lead into a deal on the board, and answer the customer\'s ticket (the customer sees the reply)', async (b) => {
  assert(shared.customer, 'a customer from the sign-up test');
  const customer = await newPage(b);
  await login(customer, shared.customer.email, { password: shared.customer.password });
  await customer.goto(`${BASE}/portal/tickets/`);
  const subject = `Colour of order ${shared.orderId ?? ''} ${Date.now()}`;
  await customer.fill('#ticket-subject', subject);
  await customer.fill('#ticket-body', 'Could it be printed in red instead?');
  await customer.getByRole('button', { name: 'Open a ticket' }).click();
  await customer.getByTestId('ticket-row').filter({ hasText: subject }).waitFor();

  const page = await newPage(b);
  await login(page, SALES);
  await page.goto(`${BASE}/console/crm/`);
  await page.getByTestId('customer-row').first().waitFor();
  await page.getByTestId('customer-row').first().getByRole('button').click();
  await page.getByTestId('customer-page').waitFor();
  await page.getByRole('tab', { name: 'Leads' }).click();
  const lead = `Lead ${Date.now()}`;
  await page.fill('#lead-name', lead);
  await page.fill('#lead-company', 'Acme Robotics');
  await page.getByRole('button', { name: 'Add' }).click();
  const leadRow = page.getByTestId('lead-row').filter({ hasText: lead });
  await leadRow.waitFor();
  await leadRow.getByRole('button', { name: 'Contacted' }).click();
  await leadRow.getByRole('button', { name: 'Convert' }).click();
  await waitFor(async () => (await leadRow.textContent()).includes('Converted'), 'lead converted');
  await page.getByRole('tab', { name: 'Deals' }).click();
  const deal = `Deal ${Date.now()}`;
  await page.fill('#deal-title', deal);
  await page.fill('#deal-value', '1250.50');
  await page.getByRole('button', { name: 'Add' }).click();
  const card = page.getByTestId('deal-card').filter({ hasText: deal });
  await page.locator('[data-stage=PROSPECTING]').getByTestId('deal-card').filter({ hasText: deal }).waitFor();
  await card.getByRole('button', { name: /Qualification/ }).click();
  await page.locator('[data-stage=QUALIFICATION]').getByTestId('deal-card').filter({ hasText: deal }).waitFor();
  await screenshot(page, 'console-crm-1440');
  await page.getByRole('tab', { name: 'Tickets' }).click();
  const ticket = page.getByTestId('ticket-row').filter({ hasText: subject });
  await ticket.waitFor();
  await ticket.getByRole('button').click();
  const thread = page.getByTestId('ticket-thread');
  await thread.waitFor();
  await thread.locator('textarea').fill('Yes — red PLA is in stock.');
  await thread.getByRole('button', { name: 'Send' }).click();
  await thread.getByText('Yes — red PLA is in stock.').waitFor();
  await page.context().close();

  await customer.reload();
  const mine = customer.getByTestId('ticket-row').filter({ hasText: subject });
  await mine.getByRole('button').click();
  await customer.getByTestId('ticket-thread').getByText('Yes — red PLA is in stock.').waitFor();
  await customer.context().close();
});

test('an admin adds a webhook endpoint: a loopback target is refused, a public one shows its secret once', async (b) => {
  const page = await newPage(b);
  await login(page, ADMIN);
  await page.goto(`${BASE}/console/integrations/`);
  await page.fill('#wh-url', 'http://127.0.0.1:9/hook');
  await page.locator('fieldset input[type=checkbox]').first().check();
  await page.getByRole('button', { name: 'Add' }).click();
  const err = page.getByTestId('error-text');
  await err.waitFor();
  assert((await err.getAttribute('data-reason')) !== null, 'a coded refusal');
  await page.fill('#wh-url', 'https://erp.example.com/hooks/gantry');
  await page.getByRole('button', { name: 'Add' }).click();
  await page.getByTestId('webhook-secret').waitFor();
  assert((await page.getByTestId('webhook-secret').textContent()).startsWith('whsec_'), 'a Standard Webhooks secret');
  await page.getByTestId('endpoint-row').filter({ hasText: 'erp.example.com' }).waitFor();
  await page.reload();
  await page.getByTestId('endpoint-row').filter({ hasText: 'erp.example.com' }).waitFor();
  assert((await page.getByTestId('webhook-secret').count()) === 0, 'the secret is not shown again');
  await page.context().close();
});

test('a customer keeps their details and addresses on the account page (a bad country is refused)', async (b) => {
  assert(shared.customer, 'a customer from the sign-up test');
  const page = await newPage(b);
  await login(page, shared.customer.email, { password: shared.customer.password });
  await page.goto(`${BASE}/account/`);
  const form = page.getByTestId('profile-form');
  await form.waitFor();
  await page.fill('#profile-company', 'Петрова и партнёры');
  await page.fill('#profile-phone', '+7 495 123-45-67');
  await form.getByRole('button', { name: 'Add an address' }).click();
  await page.fill('#addr-0-line1', 'ул. Тверская, 1');
  await page.fill('#addr-0-city', 'Москва');
  await page.fill('#addr-0-postal', '125009');
  await page.fill('#addr-0-country', 'R');
  await form.getByRole('button', { name: 'Save' }).click();
  const err = form.getByTestId('error-text');
  await err.waitFor();
  assert((await err.getAttribute('data-reason')) === 'CRM_INVALID_COUNTRY', 'a one-letter country is refused');
  await page.fill('#addr-0-country', 'ru');
  await form.getByRole('button', { name: 'Save' }).click();
  await form.getByText('Saved.').waitFor();
  await page.reload();
  await page.getByTestId('profile-form').waitFor();
  assert((await page.inputValue('#addr-0-country')) === 'RU', 'kept, normalised');
  assert((await page.inputValue('#profile-company')) === 'Петрова и партнёры', 'company kept');
  await page.context().close();
});

test('receiving a spool changes stock', async (b) => {
  const page = await newPage(b);
  await login(page, OPERATOR);
  await page.goto(`${BASE}/console/inventory/`);
  const row = page.getByTestId('stock-row').first();
  await row.waitFor();
  const grams = async () => Number((await row.getByTestId('on-hand').textContent()).replace(/[^\d]/g, ''));
  const before = await grams();
  await row.getByRole('button').click();
  await page.getByTestId('receive-spool').click();
  await page.fill('#spool-grams', '750');
  await page.getByTestId('spool-submit').click();
  await waitFor(async () => (await grams()) === before + 750, `on hand ${before} + 750`);
  await screenshot(page, 'console-inventory-1440');
  await page.context().close();
});

test('the printer grid updates live from a simulated agent, without a reload; pause and resume', async (b) => {
  const page = await newPage(b);
  await login(page, PLANNER);
  await page.goto(`${BASE}/console/printers/`);
  await page.getByTestId('printer-tile').first().waitFor();
  await page.evaluate(() => {
    window.__noReload = true;
  });
  const tokens = readFileSync(process.env.GANTRY_TOKENS, 'utf8');
  // Every printer gets a simulated agent: the plan may place the queued jobs on any printer, and
  // a printer without an agent is never dispatched to (README limitations).
  const names = [...tokens.matchAll(/# printer \S+ (.+)$/gm)].map((m) => m[1].trim());
  assert(names.length >= 3, `printer names from the tokens file: ${names}`);
  const agent = spawn(
    process.env.GANTRY_BIN,
    ['agent', '--simulate', '--count', String(names.length), '--tokens-file', process.env.GANTRY_TOKENS, '--server', BASE, '--speed', '30', '--status-secs', '1', '--progress-step', '2'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let agentLog = '';
  agent.stderr.on('data', (d) => (agentLog = (agentLog + d).slice(-4000)));
  try {
    const tile = (n) => page.locator(`[data-testid=printer-tile][data-printer="${n}"]`);
    const seen = new Map();
    const printing = await waitFor(
      async () => {
        for (const n of names) {
          const status = await tile(n).getByTestId('printer-status').getAttribute('data-status');
          const progress = (await tile(n).getByTestId('printer-progress').count())
            ? await tile(n).getByTestId('printer-progress').textContent()
            : null;
          if (status === 'PRINTING' && progress !== null) {
            if (seen.has(n) && seen.get(n) !== progress) return n; // progress moved live
            seen.set(n, progress);
          }
        }
        return null;
      },
      'a simulated printer printing with live progress',
      60_000,
      500,
    );
    // Temperatures arrive live too (the printerTelemetry subscription).
    await waitFor(
      async () => /\d+ \/ \d+ °C/.test((await tile(printing).getByTestId('nozzle-temp').textContent({ timeout: 1000 }).catch(() => '')) ?? ''),
      'nozzle temperature and target on the printing tile',
      30_000,
      500,
    );
    await screenshot(page, 'console-printers-1440');
    await tile(printing).getByRole('button', { name: 'Pause' }).click();
    await waitFor(async () => (await tile(printing).getByTestId('printer-status').getAttribute('data-status')) === 'PAUSED', 'paused');
    await tile(printing).getByRole('button', { name: 'Resume' }).click();
    await waitFor(async () => (await tile(printing).getByTestId('printer-status').getAttribute('data-status')) !== 'PAUSED', 'resumed');
    assert(await page.evaluate(() => window.__noReload === true), 'the page was not reloaded');
  } catch (e) {
    throw new Error(`${e.message}\nagent log tail:\n${agentLog}`);
  } finally {
    agent.kill('SIGTERM');
    await page.context().close();
  }
});

test('an ended session sends the user to sign in and back', async (b) => {
  const page = await newPage(b);
  await login(page, PLANNER);
  await page.evaluate(() => {
    const s = JSON.parse(localStorage.getItem('gantry.session'));
    s.accessToken = 'forged.token.value';
    localStorage.setItem('gantry.session', JSON.stringify(s));
  });
  await page.goto(`${BASE}/console/orders/`);
  await page.waitForURL((u) => u.pathname === '/login/');
  assert(decodeURIComponent(page.url()).includes('next=/console/orders/'), `next in ${page.url()}`);
  await page.getByText('Your session has ended').waitFor();
  await page.fill('#email', PLANNER);
  await page.fill('#password', process.env.E2E_PASSWORD ?? 'e2e-password-123');
  await page.click('button[type=submit]');
  await page.waitForURL((u) => u.pathname === '/console/orders/');
  await page.context().close();
});

const PAGES = {
  [PLANNER]: ['/console/', '/console/printers/', '/console/schedule/', '/console/planning/', '/console/jobs/', '/console/equipment/', '/console/profiles/', '/console/orders/', '/console/inventory/', '/account/'],
  [CUSTOMER]: ['/portal/', '/portal/shop/', '/portal/cart/', '/portal/orders/', '/portal/tickets/', '/account/', '/signup/'],
  [ADMIN]: ['/console/users/', '/console/integrations/'],
  [ACCOUNTANT]: ['/console/finance/'],
  [SALES]: ['/console/crm/'],
};

test('main pages: no serious or critical accessibility violations (axe-core), light and dark', async (b) => {
  const problems = [];
  for (const [who, paths] of Object.entries(PAGES)) {
    const page = await newPage(b);
    await login(page, who);
    for (const p of [...paths, '/gallery/']) {
      for (const theme of ['light', 'dark']) {
        await page.evaluate((t) => localStorage.setItem('gantry.prefs', JSON.stringify({ locale: 'en', theme: t })), theme);
        await page.goto(`${BASE}${p}`);
        await page.locator('main h1').first().waitFor();
        await page.waitForTimeout(300);
        for (const v of await axe(page)) problems.push(`${p} (${theme}): ${v.impact} ${v.id} ×${v.nodes} — ${v.help} ${JSON.stringify(v.target)}`);
      }
    }
    await page.context().close();
  }
  assert(problems.length === 0, `violations:\n${problems.join('\n')}`);
});

test('every main page fits 375 px and 1440 px (screenshots kept)', async (b) => {
  const wide = [];
  for (const width of [375, 1440]) {
    for (const [who, paths] of Object.entries(PAGES)) {
      const page = await newPage(b, width);
      await login(page, who);
      for (const p of paths) {
        await page.goto(`${BASE}${p}`);
        await page.locator('main h1').first().waitFor();
        await page.waitForTimeout(500);
        if (!(await fitsWidth(page))) wide.push(`${p} at ${width}`);
        await screenshot(page, `${p.replace(/\//g, '_').replace(/^_|_$/g, '') || 'home'}-${width}`);
      }
      await page.context().close();
    }
  }
  const g = await newPage(b, 375);
  await g.goto(`${BASE}/gallery/`);
  await g.locator('main h1').waitFor();
  await screenshot(g, 'gallery-375');
  if (!(await fitsWidth(g))) wide.push('/gallery/ at 375');
  await g.context().close();
  assert(wide.length === 0, `wider than the viewport: ${wide.join(', ')}`);
});

test('ru/en switch translates the console and is remembered', async (b) => {
  const page = await newPage(b);
  await login(page, PLANNER);
  await page.getByRole('radio', { name: 'RU' }).click();
  await page.getByRole('link', { name: 'Принтеры' }).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Обзор' }).waitFor();
  await screenshot(page, 'console-overview-ru-1440');
  await page.getByRole('radio', { name: 'EN' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.context().close();
});

const only = process.env.E2E_ONLY;
const browser = await launch();
let passed = 0;
let failed = 0;
for (const t of tests) {
  if (only && !only.split('|').some((o) => t.name.includes(o))) continue;
  const started = Date.now();
  try {
    await t.fn(browser);
    passed++;
    console.log(`ok    ${t.name} (${Date.now() - started} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL  ${t.name}\n      ${String(e?.stack ?? e).split('\n').join('\n      ')}`);
  }
}
await browser.close();
console.log(`screenshots in ${ARTIFACTS}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
