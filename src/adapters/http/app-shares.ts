/**
 * The per-app shares of a receiver's attention on the sending thread: each app has at most
 * `perApp` requests at its receiver at once, all apps together at most `total`, and apps with
 * requests waiting take turns, round robin, for the free places. The dispatcher on the main
 * thread may hand over more than that (its turns are slow under load, so it keeps more in
 * hand); what is over waits here, and an attempt's time starts only when it leaves.
 */

/** A request waiting for its app's turn. */
type Task = () => Promise<void>;

interface AppLine {
  active: number;
  waiting: Task[];
  queued: boolean;
}

/** Limits, per app and in all, on requests running at once. */
export class AppShares {
  private readonly apps = new Map<number, AppLine>();
  private readonly turns: number[] = [];
  private active = 0;

  constructor(
    private readonly perApp: number,
    private readonly total: number,
  ) {}

  /** Requests running now, all apps together. */
  get running(): number {
    return this.active;
  }

  /** Runs `task` once its app has a free place; resolves when it has run. */
  run(sdkAppId: number, task: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve) => {
      const line = this.line(sdkAppId);
      line.waiting.push(() => task().then(resolve, resolve));
      this.enqueue(sdkAppId, line);
      this.pump();
    });
  }

  private pump(): void {
    while (this.active < this.total && this.turns.length > 0) {
      const sdkAppId = this.turns.shift()!;
      const line = this.apps.get(sdkAppId)!;
      line.queued = false;
      const task = line.waiting.shift();
      if (!task) continue;
      line.active++;
      this.active++;
      void task().finally(() => {
        line.active--;
        this.active--;
        this.enqueue(sdkAppId, line);
        if (line.active === 0 && line.waiting.length === 0) this.apps.delete(sdkAppId);
        this.pump();
      });
      this.enqueue(sdkAppId, line);
    }
  }

  /** Puts the app in line, at the end, when it has a request waiting and a free place. */
  private enqueue(sdkAppId: number, line: AppLine): void {
    if (line.queued || line.waiting.length === 0 || line.active >= this.perApp) return;
    line.queued = true;
    this.turns.push(sdkAppId);
  }

  private line(sdkAppId: number): AppLine {
    let line = this.apps.get(sdkAppId);
    if (!line) this.apps.set(sdkAppId, (line = { active: 0, waiting: [], queued: false }));
    return line;
  }
}
