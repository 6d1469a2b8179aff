/**
 * Reports rows a claim quarantined (see {@link QuarantinedRow}): one error line each, written
 * once their quarantine is committed, and a count for the metrics.
 */
import type { Logger } from 'pino';
import type { QuarantineObserver, QuarantinedRow } from './ports.js';

/** Characters of one key field kept in a log line; the rest is counted, not shown. */
const MAX_FIELD_CHARS = 128;

/**
 * `value` fit for any log line: every UTF-16 unit outside printable ASCII (controls, lone
 * surrogates, U+FFFD, …) and the backslash written as `\uXXXX`, cut after 128 characters.
 */
export function escapeForLog(value: string): string {
  const kept = value.slice(0, MAX_FIELD_CHARS);
  let out = '';
  for (let i = 0; i < kept.length; i++) {
    const c = kept.charCodeAt(i);
    out += c >= 0x20 && c < 0x7f && c !== 0x5c ? kept[i] : `\\u${c.toString(16).padStart(4, '0')}`;
  }
  return value.length > MAX_FIELD_CHARS ? `${out}…(+${value.length - MAX_FIELD_CHARS} chars)` : out;
}

/** Logs each quarantined row once (error level) and tells `observer`. Call after the claim committed. */
export function reportQuarantined(log: Logger, observer: QuarantineObserver | undefined, rows: readonly QuarantinedRow[]): void {
  if (rows.length === 0) return;
  for (const r of rows) {
    const key = Object.fromEntries(Object.entries(r.key).map(([k, v]) => [k, typeof v === 'string' ? escapeForLog(v) : v]));
    log.error({ table: r.table, key, reason: r.reason }, 'quarantined a row its own key cannot address; it is never claimed again');
  }
  observer?.quarantined(rows);
}
