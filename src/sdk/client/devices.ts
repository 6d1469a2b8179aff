/**
 * Cameras, microphones and speakers, as a call UI lists them: `enumerateDevices` grouped by kind,
 * and a way to hear when one is plugged in or out. Grouping is pure (unit-tested); the rest is a
 * thin layer over `navigator.mediaDevices`.
 *
 * Browsers hide device labels (and, in some, all but one device of a kind) until the page has
 * been granted camera or microphone access once: list the devices after `getUserMedia` (or after
 * `CallMedia.start`) to see them all by name.
 */

/** One device, as `MediaDeviceInfo` describes it. */
export interface DeviceInfo {
  deviceId: string;
  /** Empty until the page has camera or microphone access. */
  label: string;
  /** Devices of one physical product (a headset's microphone and speaker) share it. */
  groupId: string;
  kind: 'videoinput' | 'audioinput' | 'audiooutput';
}

/** The devices of this machine by kind, each list in the browser's order (its default first). */
export interface DeviceList {
  cameras: DeviceInfo[];
  microphones: DeviceInfo[];
  /** Empty where the browser does not list outputs (then `setSpeaker` cannot choose either). */
  speakers: DeviceInfo[];
}

/** Groups `MediaDeviceInfo`-like entries by kind; entries of another kind are left out. */
export function groupDevices(list: Iterable<{ deviceId: string; label: string; groupId: string; kind: string }>): DeviceList {
  const out: DeviceList = { cameras: [], microphones: [], speakers: [] };
  for (const d of list) {
    const info = { deviceId: d.deviceId, label: d.label, groupId: d.groupId };
    if (d.kind === 'videoinput') out.cameras.push({ ...info, kind: 'videoinput' });
    else if (d.kind === 'audioinput') out.microphones.push({ ...info, kind: 'audioinput' });
    else if (d.kind === 'audiooutput') out.speakers.push({ ...info, kind: 'audiooutput' });
  }
  return out;
}

/** `navigator.mediaDevices`, or a clear error where the page cannot reach devices. */
export function mediaDevices(): MediaDevices {
  const md = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined;
  if (!md) throw new Error('navigator.mediaDevices is unavailable: open the page over https or on localhost');
  return md;
}

/** This machine's cameras, microphones and speakers. */
export async function enumerateDevices(): Promise<DeviceList> {
  return groupDevices(await mediaDevices().enumerateDevices());
}

/**
 * Calls `listener` with the new list each time a device is plugged in or out (the browser's
 * `devicechange`); returns the function that stops listening.
 */
export function watchDevices(listener: (devices: DeviceList) => void): () => void {
  const md = mediaDevices();
  const onChange = () => {
    void enumerateDevices()
      .then(listener)
      .catch(() => undefined);
  };
  md.addEventListener('devicechange', onChange);
  return () => md.removeEventListener('devicechange', onChange);
}
