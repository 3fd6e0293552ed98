// Browser tests of the planning screens: the rush-order what-if, planning settings (power
// circuits, model draw, stability) and slicer profiles. Registered by run.mjs, in its order.
import { BASE, assert, cubeStl, gql, login, newPage, screenshot, waitFor } from './lib.mjs';

/** `datetime-local` text for a time `ms` from now, in the browser's zone (the page's). */
const localInput = (ms) => {
  const d = new Date(Date.now() + ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
};

/** Uploads a model as the signed-in user (multipart, as the quote page does); returns it. */
async function uploadModel(page, name, bytes) {
  const r = await page.evaluate(
    async ([n, b64]) => {
      const s = JSON.parse(localStorage.getItem('gantry.session'));
      const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const form = new FormData();
      form.append('operations', JSON.stringify({ query: 'mutation($f: Upload!) { uploadModel(file: $f) { id fileName } }', variables: { f: null } }));
      form.append('map', JSON.stringify({ 0: ['variables.f'] }));
      form.append('0', new File([bin], n), n);
      const res = await fetch('/graphql', { method: 'POST', headers: { authorization: `Bearer ${s.accessToken}` }, body: form });
      return res.json();
    },
    [name, bytes.toString('base64')],
  );
  if (r.errors) throw new Error(`uploadModel: ${JSON.stringify(r.errors)}`);
  return r.data.uploadModel;
}

export function planningTests(test, { ADMIN, PLANNER }) {
  test('a planner runs a rush-order what-if and sees its impact on the orders', async (b) => {
    // A stored model to rush (planners may not upload; an admin does, as a customer would).
    const admin = await newPage(b);
    await login(admin, ADMIN);
    const model = await uploadModel(admin, `rush-${Date.now() % 100000}.stl`, cubeStl(30));
    await admin.context().close();

    const page = await newPage(b);
    await login(page, PLANNER);
    await page.goto(`${BASE}/console/schedule/`);
    await page.getByTestId('gantt').or(page.getByTestId('no-plan')).first().waitFor({ timeout: 30_000 });
    const rush = page.getByLabel('Rush order (scenario)');
    await rush.waitFor();
    await rush.selectOption(`m:${model.id}`);
    // Missing due date: said in the browser, nothing asked.
    const material = page.getByLabel('Material', { exact: true });
    const pla = await material.locator('option', { hasText: 'PLA' }).first().getAttribute('value');
    await material.selectOption(pla);
    await page.fill('#wi-qty', '3');
    await page.getByTestId('what-if').click();
    await page.getByText('Give the rush order’s due date and time.').waitFor();
    await page.fill('#wi-due', localInput(2 * 3_600_000));
    const sent = page.waitForRequest((r) => r.url().endsWith('/graphql') && (r.postData() ?? '').includes('PlanWhatIf'));
    await page.getByTestId('what-if').click();
    const vars = JSON.parse((await sent).postData()).variables;
    assert(vars.rushOrder?.modelId === model.id && vars.rushOrder.materialId === pla && vars.rushOrder.quantity === 3, `rushOrder ${JSON.stringify(vars)}`);
    assert(Math.abs(Date.parse(vars.rushOrder.dueAt) - (Date.now() + 2 * 3_600_000)) < 5 * 60_000, `dueAt ${vars.rushOrder.dueAt}`);
    const impact = page.getByTestId('what-if-impact');
    await impact.waitFor({ timeout: 60_000 });
    const rushLine = await page.getByTestId('what-if-rush').textContent();
    console.log(`      rush: ${rushLine}`);
    assert(/The rush order (would be done|cannot)/.test(rushLine), `rush line: ${rushLine}`);
    const objective = await page.getByTestId('what-if-baseline').textContent();
    assert(/without the scenario.*with it/.test(objective), `objective: ${objective}`);
    assert((await page.getByTestId('what-if-summary').textContent()).startsWith('With the rush order:'), 'summary of the impact');
    assert((await page.getByTestId('what-if-table').textContent()).includes('With the scenario'), 'the plan with the scenario beside the current one');
    // Both scenarios at once: a printer down as well.
    const down = page.getByLabel('Printer down (scenario)');
    await down.selectOption(await down.locator('option').nth(1).getAttribute('value'));
    await page.getByTestId('what-if').click();
    await waitFor(async () => (await page.getByTestId('what-if-summary').textContent())?.includes('down and the rush order'), 'combined scenario', 60_000);
    await screenshot(page, 'console-what-if-rush-1440');
    await page.context().close();
  });

  test('a planner sets power circuits (a bad value is refused with its coded message) and stability settings', async (b) => {
    const page = await newPage(b);
    await login(page, PLANNER);
    await page.goto(`${BASE}/console/planning/`);
    await page.getByTestId('circuits').waitFor();
    const printers = (await gql(page, '{ printers { id name model } }')).printers;
    const target = printers[0];
    const name = `e2e-circuit-${Date.now() % 100000}`;
    const form = page.getByTestId('circuit-form');
    await form.getByLabel('Name').fill(name);
    await form.getByLabel('Limit (W)').fill('-5');
    await form.getByLabel(new RegExp(`^${target.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `)).check();
    await form.getByTestId('circuit-save').click();
    const err = form.getByTestId('error-text');
    await err.waitFor();
    assert((await err.getAttribute('data-reason')) === 'PLANNING_VALUE_OUT_OF_RANGE', `reason ${await err.getAttribute('data-reason')}`);
    assert((await err.textContent()).includes('out of its allowed range'), 'translated');
    assert((await form.getByLabel('Limit (W)').getAttribute('aria-invalid')) === 'true', 'the named field is marked');
    // A limit without the model's draw is refused too; nothing was written.
    await form.getByLabel('Limit (W)').fill('1500');
    await form.getByTestId('circuit-save').click();
    await waitFor(async () => (await err.getAttribute('data-reason')) === 'POWER_DATA_MISSING', 'the model has no draw yet');
    assert((await gql(page, '{ powerCircuits { name } }')).powerCircuits.every((c) => c.name !== name), 'nothing half-saved');
    // The model's draw, then the circuit: listed with its printer and limit.
    const draw = page.locator(`[data-testid=model-power][data-model="${target.model}"]`);
    await draw.getByLabel('Heat-up (W)').fill('600');
    await draw.getByLabel('Heat-up (min)').fill('4');
    await draw.getByLabel('Printing (W)').fill('150');
    await draw.getByTestId('model-power-save').click();
    await draw.getByText('Saved').waitFor();
    await form.getByTestId('circuit-save').click();
    const row = page.locator(`[data-testid=circuit-row][data-name="${name}"]`);
    await row.waitFor();
    const text = await row.textContent();
    assert(text.includes(target.name) && text.includes('1500 W'), `circuit row: ${text}`);
    // Stability: a horizon before the freeze window is refused; a consistent set is saved.
    const st = page.getByTestId('stability');
    await st.getByLabel('Freeze window (min)').fill('30');
    await st.getByLabel('Stability horizon (min)').fill('10');
    await st.getByTestId('stability-save').click();
    await waitFor(async () => (await st.getByTestId('error-text').getAttribute('data-reason')) === 'PLANNING_FREEZE_CONTRADICTS', 'freeze contradiction');
    await st.getByLabel('Stability horizon (min)').fill('120');
    await st.getByLabel('Penalty per moved job').fill('50');
    await st.getByLabel('Tolerance (min)').fill('15');
    await st.getByTestId('stability-save').click();
    await st.getByTestId('stability-saved').waitFor();
    await screenshot(page, 'console-planning-1440');
    await page.reload();
    await page.getByTestId('stability').waitFor();
    assert((await page.getByTestId('stability').getByLabel('Stability horizon (min)').inputValue()) === '120', 'settings shown after a reload');
    // The schedule's stats show what a re-plan kept and moved.
    await page.goto(`${BASE}/console/schedule/`);
    await page.getByTestId('replan').click();
    await waitFor(async () => /^\d+ · \d+ · \d+$/.test((await page.getByTestId('plan-stability').textContent()) ?? ''), 'stability on the schedule', 30_000);
    // Back as before for the tests that follow: no circuit, no stability terms.
    await page.goto(`${BASE}/console/planning/`);
    await row.getByTestId('circuit-delete').click();
    await row.getByTestId('circuit-delete-confirm').click();
    await waitFor(async () => (await row.count()) === 0, 'the circuit is deleted');
    await gql(page, 'mutation { setPlanningSettings(input: { freezeMinutes: 0, stabilityHorizonMinutes: 0, stabilityPenalty: 0, stabilityToleranceMinutes: 0 }) { freezeMinutes } }');
    await page.context().close();
  });

  test('slicer profiles: an invalid printer config is refused, a valid one (from a file) is listed; a filament profile is set', async (b) => {
    const page = await newPage(b);
    await login(page, PLANNER);
    await page.goto(`${BASE}/console/profiles/`);
    const form = page.getByTestId('printer-profile-form');
    await form.waitFor();
    const model = `E2E-${Date.now() % 100000}`;
    await form.getByLabel('Printer model').fill(model);
    await form.getByLabel('Nozzle (µm)').fill('400');
    await form.getByTestId('slicer-config').fill('[printer:broken]\nnozzle_diameter = 0.4');
    await form.getByTestId('printer-profile-save').click();
    const err = form.getByTestId('error-text');
    await err.waitFor();
    assert((await err.getAttribute('data-reason')) === 'PROFILE_SLICER_CONFIG_INVALID', `reason ${await err.getAttribute('data-reason')}`);
    assert((await err.textContent()).includes('PrusaSlicer settings cannot be used'), 'translated');
    assert((await page.locator(`[data-testid=printer-profile-row][data-model="${model}"]`).count()) === 0, 'not listed');
    // The configuration from a file, as exported from PrusaSlicer.
    await form.getByTestId('slicer-file').setInputFiles({ name: 'printer.ini', mimeType: 'text/plain', buffer: Buffer.from('# e2e\nnozzle_diameter = 0.4\nlayer_height = 0.2\n') });
    await waitFor(async () => (await form.getByTestId('slicer-config').inputValue()).includes('layer_height = 0.2'), 'file read into the form');
    await form.getByTestId('printer-profile-save').click();
    const row = page.locator(`[data-testid=printer-profile-row][data-model="${model}"]`);
    await row.waitFor();
    assert((await row.textContent()).includes('400 µm'), 'listed with its nozzle');
    const filament = page.getByTestId('filament-row').first();
    const code = await filament.getAttribute('data-material');
    await filament.getByTestId('filament-edit').click();
    await page.getByTestId('filament-form').getByTestId('slicer-config').fill('temperature = 215\nbed_temperature = 60');
    await page.getByTestId('filament-save').click();
    await waitFor(async () => (await page.locator(`[data-testid=filament-row][data-material="${code}"]`).getAttribute('data-profiled')) === 'true', 'filament profile set');
    await screenshot(page, 'console-profiles-1440');
    await page.context().close();
  });
}
