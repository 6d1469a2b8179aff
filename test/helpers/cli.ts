/** Runs the real `dialtone` binary (built into dist/) as a child process. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

/** The launcher in bin/, as installed packages run it. */
export const DIALTONE_BIN = fileURLToPath(new URL('../../bin/dialtone.js', import.meta.url));

/** What one run printed and how it ended. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `dialtone ...args` to completion with `env` added to a clean environment. */
export function runCli(args: string[], env: Record<string, string | undefined>, timeoutMs = 20_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [DIALTONE_BIN, ...args], { env: cliEnv(env), timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      // Say so when the process was killed, so the failure does not read as a silent exit.
      resolve({ code, stdout, stderr: err?.killed ? `${stderr}[killed after ${timeoutMs} ms]\n` : stderr });
    });
  });
}

/**
 * Runs `dialtone ...args` with a stdout nobody reads: its pipe is closed before the command
 * writes, as `| head` closes it once it has read enough. Resolves to the exit code and stderr.
 */
export function runCliClosedStdout(
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 20_000,
): Promise<Omit<CliResult, 'stdout'>> {
  const child = spawn(process.execPath, [DIALTONE_BIN, ...args], { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.destroy();
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? -1 : 1), stderr });
    });
  });
}

/** A clean environment: only PATH and HOME of this process, plus `env`. */
export function cliEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) base[k] = v;
  return base;
}

/** A long-running `dialtone` command (such as `listen`) whose output is collected as it comes. */
export class CliProcess {
  stdout = '';
  stderr = '';
  exitCode: number | null | undefined;
  private readonly child: ChildProcess;

  constructor(args: string[], env: Record<string, string | undefined>) {
    this.child = spawn(process.execPath, [DIALTONE_BIN, ...args], { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (c: Buffer) => (this.stdout += c.toString()));
    this.child.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.child.on('exit', (code) => (this.exitCode = code));
  }

  /** Stdout split into non-empty lines. */
  lines(): string[] {
    return this.stdout.split('\n').filter(Boolean);
  }

  /** Waits until stderr matches `pattern` and returns the match. */
  async waitStderr(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    await waitFor(() => pattern.test(this.stderr) || this.exitCode !== undefined, timeoutMs, `stderr to match ${pattern}`);
    const m = pattern.exec(this.stderr);
    if (!m) throw new Error(`dialtone exited (${this.exitCode}) before printing ${pattern}: ${this.stderr}`);
    return m;
  }

  /** Sends SIGINT and waits for the exit code. */
  async stop(timeoutMs = 10_000): Promise<number | null> {
    if (this.exitCode === undefined) this.child.kill('SIGINT');
    await waitFor(() => this.exitCode !== undefined, timeoutMs, 'dialtone to exit');
    return this.exitCode!;
  }
}

/** How many CLI processes {@link runEach} runs at a time: a few per core, so none waits long for CPU. */
export const CLI_CONCURRENCY = 4;

/**
 * `run` on every item, {@link CLI_CONCURRENCY} at a time, results in the items' order. Dozens of
 * Node processes started at once on a two-core machine each take many seconds of wall time,
 * beside browser tests longer still; a few at a time, each one finishes in about a second.
 */
export async function runEach<T, R>(items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await run(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CLI_CONCURRENCY, items.length) }, worker));
  return results;
}
