/** Argument parsers shared by the CLI's commands. */
import { InvalidArgumentError } from 'commander';

/** Parses an integer in `min..max`. */
export function intArg(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`expected an integer in ${min}..${max}`);
    }
    return Number(value);
  };
}

/** Parses one of `choices` (case-insensitive), returning the spelling of the choice. */
export function choiceArg<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    const hit = choices.find((c) => c.toLowerCase() === value.toLowerCase());
    if (!hit) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}`);
    return hit;
  };
}

/** Parses `on|off|true|false|yes|no`. */
export function boolArg(value: string): boolean {
  if (/^(on|true|yes|1)$/i.test(value)) return true;
  if (/^(off|false|no|0)$/i.test(value)) return false;
  throw new InvalidArgumentError('expected on or off');
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a point in time to unix ms: an ISO 8601 date, unix seconds (10 digits) or ms (13), or an
 * age such as `30m`, `6h`, `2d` (that long before `now`).
 */
export function timeArg(value: string, now = Date.now()): number {
  const age = /^(\d+)([smhd])$/.exec(value);
  if (age) return now - Number(age[1]) * UNITS[age[2]!]!;
  if (/^\d{1,10}$/.test(value)) return Number(value) * 1000;
  if (/^\d{11,13}$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new InvalidArgumentError('expected an ISO date, unix seconds or ms, or an age like 30m, 6h, 2d');
  return parsed;
}

/** Splits a comma-separated list, dropping empty items. */
export function listArg(value: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('expected a comma-separated list');
  return items;
}
