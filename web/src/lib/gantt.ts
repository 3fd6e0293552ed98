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

/** A stable colour for a key (orders: the plan does not say a job's material yet). */
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
