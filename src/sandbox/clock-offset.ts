// A conversation's clock offset, as people type it: `25h`, `90m`, `8d`, or parts of them (`1d2h`).
// It dates a customer's action that long ago, so that a window can be seen closing without
// waiting a day (`npm run customer -- --ago 25h`, the inbox's "age" control).

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Longer than any window Meta keeps (7 days), with room; a year back is as closed as ten. */
export const MAX_AGO_MS = 365 * UNIT_MS.d!;

/** The offset in ms, or why the text is not one. */
export function parseAgo(text: string): number | string {
  const t = text.trim().toLowerCase();
  if (!/^(\d{1,6}[mhd])+$/.test(t)) return `"${text.slice(0, 40)}" is not a duration: a number and a unit, m, h or d (25h, 90m, 8d, 1d2h)`;
  let ms = 0;
  for (const [, n, unit] of t.matchAll(/(\d{1,6})([mhd])/g)) ms += Number(n) * UNIT_MS[unit!]!;
  if (ms > MAX_AGO_MS) return `"${text.slice(0, 40)}" is more than 365 days`;
  return ms;
}
