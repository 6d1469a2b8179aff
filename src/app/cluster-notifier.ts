/** The {@link Notifier} of cluster mode: this process's sockets directly, the others' through the bus. */
import type { NotifyEffect } from '../domain/effects.js';
import type { Notifier } from './notifier.js';
import type { ClusterBus } from './ports.js';

/** Delivers each event to local sockets at once and publishes it for the other processes. */
export class ClusterNotifier implements Notifier {
  constructor(
    private readonly local: Notifier,
    private readonly bus: Pick<ClusterBus, 'publishEvent'>,
  ) {}

  notify(sdkAppId: number, effect: NotifyEffect): void {
    this.local.notify(sdkAppId, effect);
    this.bus.publishEvent(sdkAppId, effect);
  }
}
