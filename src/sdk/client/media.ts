/**
 * The client SDK's media half (`@dialtone/client/media`): the WebRTC helper ({@link CallMedia})
 * with its device list and volume vocabulary. Its declarations name DOM types (`MediaStream`,
 * `RTCIceServer`, …), which is why it is an entry of its own: projects without the DOM library
 * import `@dialtone/client` and never load these.
 */
export {
  CallMedia,
  type CallMediaOptions,
  type CallMediaEvents,
  DEFAULT_VOLUME_INTERVAL_MS,
  DEFAULT_NETWORK_QUALITY_INTERVAL_MS,
} from './webrtc.js';
export { enumerateDevices, watchDevices, groupDevices, type DeviceInfo, type DeviceList } from './devices.js';
export { VOLUME_FLOOR_DB, volumeFromRms } from './volume.js';
