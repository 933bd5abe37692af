/**
 * NCRONTAB schedules as the Functions timer trigger reads them: six fields, `second minute hour day month weekday`
 * (a five-field expression is taken as having second 0). Supports `*`, numbers, ranges `a-b`, lists and steps `/n`.
 * Pure.
 */

const RANGES: [number, number][] = [
  [0, 59],
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
];

export type Schedule = Set<number>[];

export function parseSchedule(expression: string): Schedule {
  let fields = expression.trim().split(/\s+/);
  if (fields.length === 5) fields = ['0', ...fields];
  if (fields.length !== 6)
    throw new Error(`"${expression}" is not an NCRONTAB expression (6 fields: sec min hour day month weekday)`);
  return fields.map((field, i) => parseField(field, RANGES[i]!, expression));
}

function parseField(field: string, [min, max]: [number, number], expression: string): Set<number> {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const match = /^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(part);
    if (!match) throw new Error(`"${part}" in "${expression}" is not a schedule field`);
    const [from, to] = match[1] === '*' ? [min, max] : match[1]!.split('-').map(Number).concat(NaN).slice(0, 2);
    const end = Number.isNaN(to) ? (match[2] ? max : from!) : to!;
    const step = match[2] ? Number(match[2]) : 1;
    if (from! < min || end > max || from! > end || step < 1)
      throw new Error(`"${part}" in "${expression}" is out of range ${min}-${max}`);
    for (let v = from!; v <= end; v += step) values.add(v === 7 && max === 6 ? 0 : v);
  }
  return values;
}

export function matches(schedule: Schedule, at: Date): boolean {
  const values = [at.getSeconds(), at.getMinutes(), at.getHours(), at.getDate(), at.getMonth() + 1, at.getDay()];
  return values.every((v, i) => schedule[i]!.has(v));
}

/** The next second, strictly after `after`, at which the schedule fires (searching up to a year ahead). */
export function nextOccurrence(schedule: Schedule, after: Date): Date | null {
  const t = new Date(after.getTime());
  t.setMilliseconds(0);
  for (let i = 0; i < 366 * 24 * 3600; i++) {
    t.setSeconds(t.getSeconds() + 1);
    if (matches(schedule, t)) return new Date(t.getTime());
  }
  return null;
}
