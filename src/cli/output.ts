/** How CLI commands print: JSON with `--json`, else aligned text for people. */

// What a closed stdout or stderr does: end the command (see exitQuietlyOnClosedOutput).
let whenClosed: () => void = () => process.exit(0);

/**
 * Makes a reader that stops early (`dialtone deliveries list | head -5`) end the command quietly,
 * with exit code 0: its EPIPE on stdout or stderr would otherwise be an unhandled 'error' event
 * and a stack trace. Any other write error ends it with code 1 and one line on stderr.
 */
export function exitQuietlyOnClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') return whenClosed();
      if (stream === process.stdout) process.stderr.write(`dialtone: cannot write the output: ${err.message}\n`);
      process.exit(1);
    });
  }
}

/** For `serve`: a closed stdout or stderr stops nothing; what it would have printed is dropped, as its logger drops log lines. */
export function keepRunningOnClosedOutput(): void {
  whenClosed = () => undefined;
}

/** Writes one line to stdout. */
export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Writes progress to stderr, so `--json` output on stdout stays parseable. */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Prints `value` as one line of JSON. */
export function printJson(value: unknown): void {
  out(JSON.stringify(value));
}

/** Prints `key  value` lines, keys padded to one width; nested values as JSON. */
export function printFields(fields: Record<string, unknown>): void {
  const width = Math.max(0, ...Object.keys(fields).map((k) => k.length));
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    out(`${k.padEnd(width)}  ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`);
  }
}

/** Prints rows as a table with the given columns (header first); `(none)` when empty. */
export function printTable(rows: Record<string, unknown>[], columns: string[]): void {
  if (rows.length === 0) {
    out('(none)');
    return;
  }
  const cell = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
  out(line(columns));
  for (const r of rows) out(line(columns.map((c) => cell(r[c]))));
}

/** Formats unix ms (or seconds when `seconds`) as an ISO time; empty for 0/undefined. */
export function isoTime(value: unknown, seconds = false): string {
  if (typeof value !== 'number' || value === 0) return '';
  return new Date(seconds ? value * 1000 : value).toISOString();
}
