/** The device list a call UI shows: `enumerateDevices` grouped into cameras, microphones and speakers. */
import { describe, expect, it } from 'vitest';
import { groupDevices } from './devices.js';

describe('device list', () => {
  it('groups by kind, keeps the browser order (its default first), and leaves other kinds out', () => {
    const list = groupDevices([
      { kind: 'audioinput', deviceId: 'default', label: 'Default - Headset', groupId: 'g1' },
      { kind: 'videoinput', deviceId: 'cam-front', label: 'Front camera', groupId: 'g2' },
      { kind: 'audioinput', deviceId: 'mic-usb', label: 'USB microphone', groupId: 'g3' },
      { kind: 'audiooutput', deviceId: 'default', label: 'Default - Speakers', groupId: 'g4' },
      { kind: 'videoinput', deviceId: 'cam-back', label: 'Back camera', groupId: 'g5' },
      { kind: 'audiooutput', deviceId: 'hs', label: 'Headset', groupId: 'g1' },
      { kind: 'something-new', deviceId: 'x', label: 'x', groupId: 'x' },
    ]);
    expect(list.cameras.map((d) => d.deviceId)).toEqual(['cam-front', 'cam-back']);
    expect(list.microphones.map((d) => d.deviceId)).toEqual(['default', 'mic-usb']);
    expect(list.speakers.map((d) => d.deviceId)).toEqual(['default', 'hs']);
    expect(list.speakers[1]).toEqual({ kind: 'audiooutput', deviceId: 'hs', label: 'Headset', groupId: 'g1' });
  });

  it('a browser that lists no outputs (or nothing before access) gives empty lists, never undefined', () => {
    expect(groupDevices([])).toEqual({ cameras: [], microphones: [], speakers: [] });
    const beforeAccess = groupDevices([
      { kind: 'videoinput', deviceId: '', label: '', groupId: '' },
      { kind: 'audioinput', deviceId: '', label: '', groupId: '' },
    ]);
    expect(beforeAccess.cameras).toHaveLength(1);
    expect(beforeAccess.microphones).toHaveLength(1);
    expect(beforeAccess.speakers).toEqual([]);
  });
});
