// Pure geometry of the schedule view (unit-tested): the time window, x positions, the rows
// that are on screen (only those are drawn, so 100 printers x 1,000 jobs stay cheap).

export type Zoom = 'day' | 'week';
export const ROW_HEIGHT = 36;
export const LABEL_WIDTH = 120;
const MINUTE = 60_000;

/** Pixels per minute at a zoom level. */
export const pxPerMinute = (z: Zoom): number => (z === 'day' ? 1.5 : 0.2);

export interface Window {
  start: number;
  end: number;
}

/** From an hour before `now` to the end of the last job (at least one zoom span). */
export function timeWindow(now: number, ends: number[], z: Zoom): Window {
  const start = Math.floor((now - 60 * MINUTE) / (60 * MINUTE)) * 60 * MINUTE;
  const span = (z === 'day' ? 24 : 7 * 24) * 60 * MINUTE;
  const last = ends.length ? Math.max(...ends) : now;
  return { start, end: Math.max(start + span, last + 60 * MINUTE) };
}

export const xOf = (t: number, w: Window, z: Zoom): number => ((t - w.start) / MINUTE) * pxPerMinute(z);

/** The rows [first, last) visible in a viewport, with `overscan` extra rows on each side. */
export function visibleRows(scrollTop: number, height: number, count: number, overscan = 4): [number, number] {
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - overscan);
  const last = Math.min(count, Math.ceil((scrollTop + height) / ROW_HEIGHT) + overscan);
  return [first, Math.max(first, last)];
}

/** Hour (day zoom) or day (week zoom) tick times within a window. */
export function ticks(w: Window, z: Zoom): number[] {
  const step = (z === 'day' ? 60 : 24 * 60) * MINUTE;
  const out: number[] = [];
  for (let t = Math.ceil(w.start / step) * step; t <= w.end; t += step) out.push(t);
  return out;
}

/** A stable colour for a key (a setup class, or an order in plans recorded before classes). */
export function colourOf(key: string): string {
  let n = 0;
  for (const c of key) n = (n * 31 + c.charCodeAt(0)) >>> 0;
  // Golden-angle steps keep neighbouring ids (orders 16, 17, 18 …) far apart in hue.
  return `hsl(${Math.round((n * 137.508) % 360)} 60% 52%)`;
}

/** Where a bar dragged by (dx, dy) pixels from row `row` lands: the row under its middle and
 * the start shifted by whole `snap` minutes; null when it did not move enough to be a drag. */
export function dropTarget(
  row: number,
  dx: number,
  dy: number,
  z: Zoom,
  rows: number,
  snap = 5,
): { row: number; minutes: number } | null {
  if (Math.abs(dx) < 4 && Math.abs(dy) < 4) return null;
  const to = Math.min(rows - 1, Math.max(0, Math.floor((row * ROW_HEIGHT + ROW_HEIGHT / 2 + dy) / ROW_HEIGHT)));
  const minutes = Math.round(dx / pxPerMinute(z) / snap) * snap;
  return { row: to, minutes };
}

/** One weekly operator shift (UTC): weekday 0 = Monday, minutes of the day; an end at or
 * before the start runs into the next day. */
export interface Shift {
  weekday: number;
  startMinute: number;
  endMinute: number;
}

const DAY = 24 * 60 * MINUTE;

/** The spans of a window when nobody is on shift (shaded on the schedule), in order; none
 * when there are no shifts (always staffed). */
export function offShift(shifts: Shift[], w: Window): [number, number][] {
  if (shifts.length === 0) return [];
  const staffed: [number, number][] = [];
  // From the day before the window (a night shift may still run) to its end.
  const first = Math.floor(w.start / DAY) * DAY - DAY;
  for (let day = first; day <= w.end; day += DAY) {
    // 1970-01-01 was a Thursday: Monday-based weekday of a UTC midnight.
    const weekday = (Math.floor(day / DAY) + 3) % 7;
    for (const s of shifts) {
      if (s.weekday !== weekday) continue;
      const len = s.endMinute > s.startMinute ? s.endMinute - s.startMinute : 24 * 60 - s.startMinute + s.endMinute;
      const a = day + s.startMinute * MINUTE;
      staffed.push([a, a + len * MINUTE]);
    }
  }
  staffed.sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  let cursor = w.start;
  for (const [a, b] of staffed) {
    if (b <= cursor) continue;
    if (a > cursor) out.push([cursor, Math.min(a, w.end)]);
    cursor = Math.max(cursor, b);
    if (cursor >= w.end) break;
  }
  if (cursor < w.end) out.push([cursor, w.end]);
  return out.filter(([a, b]) => b > a);
}

/** `HH:MM` of a minute of the day (1440 → `24:00`). */
export const hhmm = (m: number): string => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** Minutes of the day from `HH:MM` (`24:00` allowed), or null. */
export function minuteOf(s: string): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(s.trim());
  if (!m) return null;
  const v = Number(m[1]) * 60 + Number(m[2]);
  return Number(m[2]) < 60 && v <= 24 * 60 ? v : null;
}

/** An SVG polyline's points for (time, value) readings scaled into a `width` × `height` box
 * (times from `t0` to `t1`, values from `lo` to `hi`); readings without a value are skipped. */
export function polyline(
  points: { t: number; v: number | null | undefined }[],
  [t0, t1]: [number, number],
  [lo, hi]: [number, number],
  width: number,
  height: number,
): string {
  const dt = Math.max(1, t1 - t0);
  const dv = Math.max(1e-9, hi - lo);
  return points
    .filter((p): p is { t: number; v: number } => p.v != null)
    .map((p) => `${(((p.t - t0) / dt) * width).toFixed(1)},${(height - ((p.v - lo) / dv) * height).toFixed(1)}`)
    .join(' ');
}
