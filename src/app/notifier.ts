/** Port through which use cases reach users' connected devices. */
import type { NotifyEffect } from '../domain/effects.js';

/** Delivers client events to a user's sockets, wherever they are connected. */
export interface Notifier {
  notify(sdkAppId: number, effect: NotifyEffect): void;
}
