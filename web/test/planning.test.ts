import { describe, expect, it } from 'vitest';
import { emptyScenario, fieldOf, hoursMinutes, impactRows, optionalInt, requiredInt, scenarioVariables } from '@/lib/planning';

describe('planning forms', () => {
  it('reads optional and required whole numbers', () => {
    expect(optionalInt('')).toBeNull();
    expect(optionalInt('  ')).toBeNull();
    expect(optionalInt(' 1500 ')).toBe(1500);
    expect(optionalInt('-5')).toBe(-5); // the server judges the range
    expect(optionalInt('1.5')).toBe('bad');
    expect(optionalInt('12a')).toBe('bad');
    expect(optionalInt('99999999999999999999')).toBe('bad');
    expect(requiredInt('')).toBe('bad');
    expect(requiredInt('0')).toBe(0);
  });

  it('finds the field a refusal names', () => {
    expect(fieldOf('limitWatts: 50 W on circuit "A" is below printer 3\'s draw of 120 W (model "MK4")')).toBe('limitWatts');
    expect(fieldOf('printerDown.until: must be after printerDown.from and in the future')).toBe('printerDown');
    expect(fieldOf('printerModelPower["MK4"]: missing; printer 3 …')).toBe('printerModelPower');
    expect(fieldOf('stabilityHorizonMinutes: 10 ends before the freeze window')).toBe('stabilityHorizonMinutes');
    expect(fieldOf('internal error')).toBeNull();
    expect(fieldOf(undefined)).toBeNull();
  });
});

describe('what-if scenarios', () => {
  const now = new Date('2026-03-01T10:00:00Z');

  it('a plain re-plan asks for no scenario', () => {
    expect(scenarioVariables(emptyScenario, now)).toEqual({ variables: { timeLimitSeconds: 2 } });
  });

  it('a printer down from now for some hours', () => {
    const r = scenarioVariables({ ...emptyScenario, down: '7', hours: '1.5' }, now);
    expect(r).toEqual({
      variables: { timeLimitSeconds: 2, printerDown: { printerId: '7', from: '2026-03-01T10:00:00.000Z', until: '2026-03-01T11:30:00.000Z' } },
    });
    expect(scenarioVariables({ ...emptyScenario, down: '7', hours: '0' }, now)).toEqual({ problem: 'hours' });
    expect(scenarioVariables({ ...emptyScenario, down: '7', from: 'soon' }, now)).toEqual({ problem: 'from' });
  });

  it('a rush order needs a material, whole copies and a due date; both scenarios combine', () => {
    const rush = { ...emptyScenario, model: '3', material: '5', quantity: '4', due: '2026-03-02T09:30:00Z' };
    expect(scenarioVariables({ ...rush, material: '' }, now)).toEqual({ problem: 'material' });
    expect(scenarioVariables({ ...rush, quantity: '2.5' }, now)).toEqual({ problem: 'quantity' });
    expect(scenarioVariables({ ...rush, quantity: '0' }, now)).toEqual({ problem: 'quantity' });
    expect(scenarioVariables({ ...rush, due: '' }, now)).toEqual({ problem: 'due' });
    const both = scenarioVariables({ ...rush, down: '7', hours: '2' }, now);
    expect(both).toEqual({
      variables: {
        timeLimitSeconds: 2,
        printerDown: { printerId: '7', from: '2026-03-01T10:00:00.000Z', until: '2026-03-01T12:00:00.000Z' },
        rushOrder: { modelId: '3', materialId: '5', quantity: 4, dueAt: '2026-03-02T09:30:00.000Z' },
      },
    });
  });

  it('impact rows: later by, added lateness, newly late, lost jobs; the rush order is marked', () => {
    const base = { dueAt: '2026-03-01T12:00:00Z', unplacedBefore: 0, unplacedAfter: 0 };
    const rows = impactRows({
      newlyLate: 1,
      baselineObjective: 100,
      orders: [
        { ...base, orderId: null, finishBefore: null, finishAfter: '2026-03-01T13:00:00Z', lateMinutesBefore: 0, lateMinutesAfter: 60 },
        { ...base, orderId: '11', finishBefore: '2026-03-01T11:00:00Z', finishAfter: '2026-03-01T12:45:00Z', lateMinutesBefore: 0, lateMinutesAfter: 45 },
        { ...base, orderId: '12', finishBefore: '2026-03-01T12:30:00Z', finishAfter: '2026-03-01T13:00:00Z', lateMinutesBefore: 30, lateMinutesAfter: 60 },
        { ...base, orderId: '13', finishBefore: '2026-03-01T11:00:00Z', finishAfter: null, lateMinutesBefore: 0, lateMinutesAfter: 0, unplacedAfter: 2 },
      ],
    });
    expect(rows.map((r) => [r.rush, r.laterByMinutes, r.addedLateMinutes, r.newlyLate, r.lostJobs])).toEqual([
      [true, null, 60, false, 0],
      [false, 105, 45, true, 0],
      [false, 30, 30, false, 0],
      [false, null, 0, false, 2],
    ]);
  });

  it('splits minutes into hours and minutes', () => {
    expect(hoursMinutes(125)).toEqual({ h: 2, m: 5, negative: false });
    expect(hoursMinutes(-30)).toEqual({ h: 0, m: 30, negative: true });
  });
});
