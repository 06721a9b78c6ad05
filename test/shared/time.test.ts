import { dayBounds, formatWallTime, instantOf, isoString, wallTimeIn } from '../../src/shared/time';

describe('time zones', () => {
  it('formats instants as legacy wall time in a zone', () => {
    const instant = new Date('2016-11-21T17:01:51.000Z');
    expect(formatWallTime(instant, 'UTC')).toBe('2016-11-21 17:01:51');
    expect(formatWallTime(instant, 'Asia/Kolkata')).toBe('2016-11-21 22:31:51');
    expect(formatWallTime(instant, 'America/New_York')).toBe('2016-11-21 12:01:51');
  });

  it('finds the instant of a wall time, across DST changes', () => {
    expect(instantOf({ year: 2016, month: 11, day: 21, hour: 22, minute: 31, second: 51 }, 'Asia/Kolkata').toISOString()).toBe('2016-11-21T17:01:51.000Z');
    expect(instantOf({ year: 2026, month: 7, day: 1, hour: 12, minute: 0, second: 0 }, 'Europe/Paris').toISOString()).toBe('2026-07-01T10:00:00.000Z');
    expect(instantOf({ year: 2026, month: 1, day: 1, hour: 12, minute: 0, second: 0 }, 'Europe/Paris').toISOString()).toBe('2026-01-01T11:00:00.000Z');
    const w = wallTimeIn(new Date('2026-03-29T01:30:00Z'), 'Europe/Paris');
    expect(w).toEqual({ year: 2026, month: 3, day: 29, hour: 3, minute: 30, second: 0 });
  });

  it('gives the calendar day of a zone, 23 hours long on a spring-forward day', () => {
    const { start, end } = dayBounds(new Date('2026-03-29T12:00:00Z'), 'Europe/Paris');
    expect(start.toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(end.toISOString()).toBe('2026-03-29T22:00:00.000Z');
    const utc = dayBounds(new Date('2031-05-10T23:59:59Z'), 'UTC');
    expect([utc.start.toISOString(), utc.end.toISOString()]).toEqual(['2031-05-10T00:00:00.000Z', '2031-05-11T00:00:00.000Z']);
  });
});

describe('UTC', () => {
  it('reads the same wall time with and without Intl', () => {
    for (const iso of ['2016-11-21T17:01:51.000Z', '2024-02-29T23:59:59.999Z', '1999-12-31T00:00:00.000Z']) {
      const instant = new Date(iso);
      expect(wallTimeIn(instant, 'UTC')).toEqual(wallTimeIn(instant, 'Etc/UTC'));
    }
  });
});

describe('isoString', () => {
  it('writes exactly what toISOString writes, padding included, for any representable instant', () => {
    const fixed = ['1970-01-01T00:00:00.000Z', '0001-02-03T04:05:06.007Z', '0999-12-31T23:59:59.999Z', '2000-02-29T12:00:00.050Z', '9999-12-31T23:59:59.999Z'];
    for (const text of fixed) expect(isoString(new Date(text))).toBe(text);
    // Years outside 0000-9999 take the extended form.
    for (const ms of [-62198755200001, 253402300800000, -8.64e15, 8.64e15]) expect(isoString(new Date(ms))).toBe(new Date(ms).toISOString());
    let seed = 7;
    for (let i = 0; i < 2000; i += 1) {
      seed = (seed * 48271) % 2147483647;
      const date = new Date(-2e12 + (seed / 2147483647) * 6e12);
      expect(isoString(date)).toBe(date.toISOString());
    }
  });
});
