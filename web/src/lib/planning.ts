// Pure helpers of the planning screens: what-if scenarios (printer down, rush order) and their
// impact, and the forms of the planning settings (optional integers, the field a refusal names).
import type { PlanWhatIfQuery, PlanWhatIfQueryVariables } from '@/lib/graphql/generated';

/** A form's text as an optional whole number: '' → null, not a whole number → 'bad'. */
export function optionalInt(text: string): number | null | 'bad' {
  const s = text.trim();
  if (s === '') return null;
  if (!/^-?\d+$/.test(s)) return 'bad';
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : 'bad';
}

/** A required whole number: '' and anything else but a whole number → 'bad'. */
export function requiredInt(text: string): number | 'bad' {
  const n = optionalInt(text);
  return n === null ? 'bad' : n;
}

/**
 * The input field a refusal names: the API's messages start with it (`limitWatts: …`,
 * `printerDown.until: …`, `printerModelPower["MK4"]: …`); the first name is returned.
 */
export function fieldOf(message: string | undefined): string | null {
  const m = /^([A-Za-z][A-Za-z0-9]*)(?:[.[][^:]*)?:\s/.exec(message ?? '');
  return m ? m[1] : null;
}

/** The what-if form as typed. */
export interface ScenarioForm {
  /** Printer down: its id ('' = none), from (`datetime-local`, '' = now), for how many hours. */
  down: string;
  from: string;
  hours: string;
  /** Rush order: the model's id ('' = none), material, copies, due (`datetime-local`). */
  model: string;
  material: string;
  quantity: string;
  due: string;
}

export const emptyScenario: ScenarioForm = { down: '', from: '', hours: '8', model: '', material: '', quantity: '1', due: '' };

/** What is wrong with a scenario before it is sent (message keys' last part). */
export type ScenarioProblem = 'hours' | 'from' | 'material' | 'quantity' | 'due';

/**
 * The `planWhatIf` variables of a scenario, or what is missing. Times typed in the browser's
 * zone are sent as UTC instants; the server checks the rest (ranges, the window in the future,
 * a printer that can print the rush order) and answers with a coded reason.
 */
export function scenarioVariables(
  f: ScenarioForm,
  now: Date,
  timeLimitSeconds = 2,
): { variables: PlanWhatIfQueryVariables } | { problem: ScenarioProblem } {
  const variables: PlanWhatIfQueryVariables = { timeLimitSeconds };
  if (f.down) {
    const hours = Number(f.hours);
    if (!Number.isFinite(hours) || hours <= 0) return { problem: 'hours' };
    const start = f.from ? new Date(f.from) : now;
    if (Number.isNaN(start.getTime())) return { problem: 'from' };
    variables.printerDown = {
      printerId: f.down,
      from: start.toISOString(),
      until: new Date(start.getTime() + hours * 3_600_000).toISOString(),
    };
  }
  if (f.model) {
    if (!f.material) return { problem: 'material' };
    const quantity = requiredInt(f.quantity);
    if (quantity === 'bad' || quantity < 1) return { problem: 'quantity' };
    const due = new Date(f.due);
    if (!f.due || Number.isNaN(due.getTime())) return { problem: 'due' };
    variables.rushOrder = { modelId: f.model, materialId: f.material, quantity, dueAt: due.toISOString() };
  }
  return { variables };
}

type Impact = NonNullable<PlanWhatIfQuery['planWhatIf']['impact']>;
export type ImpactOrder = Impact['orders'][number];

/** One row of the impact table. */
export interface ImpactRow {
  order: ImpactOrder;
  /** The rush order itself (no order id). */
  rush: boolean;
  /** Lateness the scenario adds, minutes (never negative). */
  addedLateMinutes: number;
  /** How much later its last job ends, minutes (null: not placed before or after). */
  laterByMinutes: number | null;
  /** On time without the scenario, late with it. */
  newlyLate: boolean;
  /** Jobs the plan could place before and cannot with the scenario. */
  lostJobs: number;
}

const minutesBetween = (a: string, b: string) => Math.round((Date.parse(b) - Date.parse(a)) / 60_000);

/** The impact's orders as rows (in the API's order: the rush order first, then most added lateness). */
export function impactRows(impact: Impact): ImpactRow[] {
  return impact.orders.map((o) => {
    const rush = o.orderId == null;
    return {
      order: o,
      rush,
      addedLateMinutes: Math.max(0, o.lateMinutesAfter - o.lateMinutesBefore),
      laterByMinutes: o.finishBefore && o.finishAfter ? minutesBetween(o.finishBefore, o.finishAfter) : null,
      newlyLate: !rush && o.lateMinutesBefore === 0 && o.lateMinutesAfter > 0,
      lostJobs: Math.max(0, o.unplacedAfter - o.unplacedBefore),
    };
  });
}

/** Minutes as whole hours and minutes (for "2 h 05 min"). */
export function hoursMinutes(total: number): { h: number; m: number; negative: boolean } {
  const negative = total < 0;
  const a = Math.abs(Math.round(total));
  return { h: Math.floor(a / 60), m: a % 60, negative };
}
