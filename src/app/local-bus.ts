/**
 * The {@link ClusterBus} of one process alone: every device is on this process, so the cluster's
 * device list is the WebSocket registry itself and there is no one to tell anything.
 */
import type { NotifyEffect } from '../domain/effects.js';
import type { Admission, ClusterBus, ClusterDevice, ClusterMessage, LocalDevices } from './ports.js';

/** The bus when there is no cluster: reads this process's devices, publishes nothing, never hears anything. */
export class LocalBus implements ClusterBus {
  constructor(private readonly devices: LocalDevices) {}

  /** In memory: it always can. */
  problem(): string | undefined {
    return undefined;
  }

  // The per-user limit and replacing a device are the gateway's checks on this process's own
  // sockets; with no other process there is nothing more to admit against.
  async register(_device: ClusterDevice, _maxDevices: number): Promise<Admission> {
    return { admitted: true };
  }

  async unregister(device: ClusterDevice): Promise<number> {
    return this.devices.devicesOf(device.sdkAppId, device.userId).length;
  }

  async deviceCount(sdkAppId: number, userId: string): Promise<number> {
    return this.devices.devicesOf(sdkAppId, userId).length;
  }

  async isOnline(sdkAppId: number, userId: string, deviceId: string): Promise<boolean> {
    return this.devices.isOnline(sdkAppId, userId, deviceId);
  }

  async watch(_sdkAppId: number, _userId: string): Promise<void> {}

  async unwatch(_sdkAppId: number, _userId: string): Promise<void> {}

  publishEvent(_sdkAppId: number, _effect: NotifyEffect): void {}

  publishKick(_sdkAppId: number, _userId: string, _deviceId: string, _target: string): void {}

  publishAppsChanged(): void {}

  onUserMessage(_handler: (m: ClusterMessage) => void): void {}

  onAppsChanged(_handler: () => void): void {}

  onReconnect(_handler: () => void): void {}

  async beat(_now: number): Promise<void> {}

  async otherBeats(): Promise<ReadonlyMap<string, number>> {
    return new Map();
  }

  async claimDead(_processId: string): Promise<ClusterDevice[] | undefined> {
    return undefined;
  }
}
