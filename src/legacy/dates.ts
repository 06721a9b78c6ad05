import { instantOf, pad, wallTimeIn, type WallTime } from '../shared/time';

/** `YYYY-MM-DD HH:mm:ss` in `timeZone`: the legacy API's time format. */
export function formatWallTime(instant: Date, timeZone: string): string {
  const w = wallTimeIn(instant, timeZone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
}

/** A legacy `fromDate` / `toDate`: `dd-mm-yyyy H:m` or `dd-mm-yyyy`, read in LEGACY_TIMEZONE. */
export interface LegacyDate {
  year: number;
  month: number;
  day: number;
  /** Absent for a date-only value (the whole day). */
  time?: { hour: number; minute: number };
}

const FORMAT = /^(\d{1,2})-(\d{1,2})-(\d{4})(?: (\d{1,2}):(\d{1,2}))?$/;

/** Day 0 of the next month is the last day of this one (years below 1000 are refused before this). */
function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Parses a legacy date strictly: `31-02-2016`, `25:00`, `12:60`, letters, seconds or any other shape
 * are refused (undefined), never rolled over into another day the way `Date` would.
 */
export function parseLegacyDate(text: string): LegacyDate | undefined {
  const match = FORMAT.exec(text.trim());
  if (!match) return undefined;
  const [day, month, year] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (match[4] === undefined) return { year, month, day };
  const [hour, minute] = [Number(match[4]), Number(match[5])];
  if (hour > 23 || minute > 59) return undefined;
  return { year, month, day, time: { hour, minute } };
}

/** The wall time `minutes` later (normalised across day, month and year ends). */
function plusMinutes(wall: WallTime, minutes: number): WallTime {
  const t = new Date(Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute + minutes, wall.second));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate(), hour: t.getUTCHours(), minute: t.getUTCMinutes(), second: t.getUTCSeconds() };
}

function wallOf(date: LegacyDate): WallTime {
  return { year: date.year, month: date.month, day: date.day, hour: date.time?.hour ?? 0, minute: date.time?.minute ?? 0, second: 0 };
}

/** The first instant a `fromDate` includes: its minute, or the start of its day. */
export function startOf(date: LegacyDate, timeZone: string): Date {
  return instantOf(wallOf(date), timeZone);
}

/**
 * The last instant a `toDate` includes: the end of its minute (its 59 seconds included), or of its
 * whole day for a date-only value. Computed as "the next minute (or day) minus 1 ms", so DST days of
 * 23 or 25 hours come out right.
 */
export function endOf(date: LegacyDate, timeZone: string): Date {
  const next = plusMinutes(wallOf(date), date.time ? 1 : 24 * 60);
  return new Date(instantOf(next, timeZone).getTime() - 1);
}
