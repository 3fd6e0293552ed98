// Browser tests of the ledger inputs: a spool received at its lot cost and paid in cash, and a
// manual journal entry (refused whole when unbalanced, posted when balanced; the books stay
// balanced). Registered by run.mjs, after the accountant's reports test.
import { BASE, assert, login, newPage, waitFor } from './lib.mjs';

export function ledgerTests(test, { ACCOUNTANT, OPERATOR }) {
  test('a spool received at its lot cost and paid in cash; a manual journal entry refused unbalanced, posted balanced', async (b) => {
    const page = await newPage(b);
    await login(page, OPERATOR);
    await page.goto(`${BASE}/console/inventory/`);
    const row = page.getByTestId('stock-row').first();
    await row.waitFor();
    const grams = async () => Number((await row.getByTestId('on-hand').textContent()).replace(/[^\d]/g, ''));
    const before = await grams();
    await row.getByRole('button').click();
    await page.getByTestId('receive-spool').click();
    await page.fill('#spool-grams', '500');
    await page.fill('#spool-lot-cost', '-3');
    await page.getByTestId('spool-paid').check();
    await page.getByTestId('spool-submit').click();
    // A negative lot cost is refused with its reason; nothing is received.
    await page.getByTestId('error-text').waitFor();
    assert((await grams()) === before, 'nothing received on a refused lot cost');
    await page.getByTestId('receive-spool').click();
    await page.fill('#spool-grams', '500');
    await page.fill('#spool-lot-cost', '12,50');
    await page.getByTestId('spool-paid').check();
    await page.getByTestId('spool-submit').click();
    await waitFor(async () => (await grams()) === before + 500, `on hand ${before} + 500`);
    await page.context().close();

    const acc = await newPage(b);
    await login(acc, ACCOUNTANT);
    await acc.goto(`${BASE}/console/finance/`);
    await acc.getByRole('tab', { name: 'Expenses' }).click();
    const form = acc.getByTestId('journal-form');
    await form.waitFor();
    await form.locator('#je-memo').fill('Supplier paid');
    // Payables (2000) against cash (1000), wrong amounts first.
    await waitFor(async () => (await form.locator('#je-account-0 option').count()) > 3, 'accounts listed');
    await form.locator('#je-account-0').selectOption('2000');
    await form.locator('#je-debit-0').fill('10');
    await form.locator('#je-account-1').selectOption('1000');
    await form.locator('#je-credit-1').fill('9');
    await form.getByTestId('journal-post').click();
    const err = form.getByTestId('error-text');
    await err.waitFor();
    assert((await err.getAttribute('data-reason')) === 'FINANCE_UNBALANCED', `reason ${await err.getAttribute('data-reason')}`);
    assert((await err.textContent()) === 'Debits and credits must be equal.', `text ${await err.textContent()}`);
    await form.locator('#je-credit-1').fill('10');
    await form.getByTestId('journal-post').click();
    await form.getByText(/Posted as entry \d+/).waitFor();
    await acc.getByRole('tab', { name: 'Reports' }).click();
    await acc.getByTestId('trial-balance').waitFor();
    assert((await acc.getByTestId('trial-balance').textContent()) === 'Balanced', 'trial balance is zero');
    await acc.context().close();
  });
}
