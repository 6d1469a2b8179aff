/**
 * Dialtone client SDK (`dialtone/client`, and the browser bundle `/sdk/dialtone-client.js`):
 * the client ({@link DialtoneClient}), its types and errors, and the WebRTC helper
 * ({@link CallMedia}) with its device list, volume and network-quality vocabulary. The modules
 * behind it import nothing from this index.
 */
export * from './types.js';
export { DialtoneClient } from './client.js';
export {
  CallMedia,
  type CallMediaOptions,
  type CallMediaEvents,
  DEFAULT_VOLUME_INTERVAL_MS,
  DEFAULT_NETWORK_QUALITY_INTERVAL_MS,
} from './webrtc.js';
export { enumerateDevices, watchDevices, groupDevices, type DeviceInfo, type DeviceList } from './devices.js';
export { NetworkQuality, QUALITY_THRESHOLDS } from './stats.js';
export { VOLUME_FLOOR_DB, volumeFromRms } from './volume.js';
