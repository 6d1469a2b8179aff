/**
 * A small typed event emitter for `CallMedia`'s own events. It says when an event gains its first
 * listener or loses its last, because measuring (volume, network quality, device changes) costs
 * something and should run only while somebody listens.
 */

/** Typed `on` / `off` / `emit`, with a hook on listener counts. */
export class Emitter<Events extends object> {
  private readonly handlers = new Map<keyof Events, Set<(data: never) => void>>();

  /** @param onListeners Called after a listener is added or removed, with the event's listener count. */
  constructor(private readonly onListeners?: (event: keyof Events, count: number) => void) {}

  /** Adds `handler` for `event` (once: the same function twice is one listener). */
  on<E extends keyof Events>(event: E, handler: (data: Events[E]) => void): void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler);
    this.onListeners?.(event, set.size);
  }

  /** Removes `handler` from `event`. */
  off<E extends keyof Events>(event: E, handler: (data: Events[E]) => void): void {
    const set = this.handlers.get(event);
    if (!set?.delete(handler)) return;
    this.onListeners?.(event, set.size);
  }

  /** How many listeners `event` has. */
  count(event: keyof Events): number {
    return this.handlers.get(event)?.size ?? 0;
  }

  /** Calls every listener of `event`; one that throws does not stop the others. */
  emit<E extends keyof Events>(event: E, data: Events[E]): void {
    for (const h of [...(this.handlers.get(event) ?? [])]) {
      try {
        (h as (data: Events[E]) => void)(data);
      } catch {
        // A page's handler failing must not break the call's media.
      }
    }
  }
}
