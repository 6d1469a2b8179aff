/**
 * The TUICallEngine stand-in (`/sdk/tuicall-engine.js`, SPEC §8): what
 * `@tencentcloud/call-engine-js` 3.3.x exports, on Dialtone. A bundler alias points the UI's
 * import of that package here; `configureDialtone` says which server to use (default: the
 * page's origin). Importing this module wires the engine to the browser.
 */
import { browserPlatform } from './browser.js';
import { setDefaultPlatform, TUICallEngine } from './engine.js';

setDefaultPlatform(browserPlatform);

export {
  TUICallEngine,
  configureDialtone,
  dialtoneSettings,
  type DialtoneOptions,
  type LoginParams,
  type TUICallEngineOptions,
} from './engine.js';
export { TUICallEvent, TUIRoomDeviceMangerEvents, type TUICallEventName } from './events.js';
export {
  AUDIO_PLAYBACK_DEVICE,
  CallEndReason,
  TUIAudioQuality,
  TUICallCameraPosition,
  TUICallErrorEventCode,
  TUICallRole,
  TUICallType,
  TUICamera,
  TUIErrorCode,
  TUIKickedOutOfRoomReason,
  TUINetworkQuality,
  TUIResolutionMode,
  TUIVideoQuality,
  VIDEO_ENCODER_MAP,
} from './constants.js';
export { TUICallError } from './map.js';
export type { DeviceInfo as TUIDeviceInfo } from './ports.js';
// The declarations re-export the chat SDK under these names; here it is the stand-in.
export { default as TIM, default as TencentCloudChat } from './chat-stub.js';
export default TUICallEngine;
