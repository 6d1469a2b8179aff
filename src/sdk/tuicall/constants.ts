/**
 * The enums and constants `@tencentcloud/call-engine-js` 3.3.x exports (from its index.d.ts),
 * with the same names and values, so that code written against the engine keeps its numbers.
 */

/** Call media types, and the device kinds of `getDeviceList`. */
export const TUICallType = {
  /** An audio call. */
  AUDIO_CALL: 1,
  /** A video call. */
  VIDEO_CALL: 2,
  /** `getDeviceList` kind: cameras (the declarations' spelling). */
  DEVCIED_CAMERA: 'camera',
  /** `getDeviceList` kind: microphones (the declarations' spelling). */
  DEVCIED_MICROPHONES: 'microphones',
} as const;

/** Error codes of rejected promises and of the `ERROR` event. */
export const TUIErrorCode = {
  ERR_SUCC: 0,
  ERR_FAILED: -1,
  ERR_INVALID_PARAMETER: -1001,
  ERR_SDK_NOT_INITIALIZED: -1002,
  ERR_PERMISSION_DENIED: -1003,
  ERR_REQUIRE_PAYMENT: -1004,
  ERR_CAMERA_START_FAILED: -1100,
  ERR_CAMERA_NOT_AUTHORIZED: -1101,
  ERR_CAMERA_OCCUPIED: -1102,
  ERR_CAMERA_DEVICE_EMPTY: -1103,
  ERR_MICROPHONE_START_FAILED: -1104,
  ERR_MICROPHONE_NOT_AUTHORIZED: -1105,
  ERR_MICROPHONE_OCCUPIED: -1106,
  ERR_MICROPHONE_DEVICE_EMPTY: -1107,
  ERR_ROOM_NAME_INVALID: -2107,
  ERR_USER_NOT_EXIST: -2200,
  ERR_REQUEST_ID_INVALID: -2311,
} as const;

/**
 * Codes of the `ERROR` event that the UI turns into its own messages (the engine documents
 * 60001 for a failed `switchCallMediaType`; the UI names the others).
 */
export const TUICallErrorEventCode = {
  SWITCH_TO_AUDIO_CALL_FAILED: 60001,
  SWITCH_TO_VIDEO_CALL_FAILED: 60002,
  MICROPHONE_UNAVAILABLE: 60003,
  CAMERA_UNAVAILABLE: 60004,
  BAN_DEVICE: 60005,
  NOT_SUPPORTED_WEBRTC: 60006,
} as const;

/** Why a call ended, as numbers (`reason` of `CALLING_END` and `ON_CALL_NOT_CONNECTED`). */
export const CallEndReason = {
  UnKnown: 0,
  Hangup: 1,
  Reject: 2,
  NoResponse: 3,
  Offline: 4,
  LineBusy: 5,
  Canceled: 6,
  OtherDeviceAccepted: 7,
  OtherDeviceReject: 8,
  EndByServer: 9,
} as const;

/** Front or back camera (`switchCamera`). */
export const TUICallCameraPosition = {
  FRONT: 0,
  BACK: 1,
} as const;

/** Front or back camera (the room engine's spelling). */
export const TUICamera = {
  kFront: 0,
  kBack: 1,
} as const;

/** Loudspeaker or earpiece. */
export const AUDIO_PLAYBACK_DEVICE = {
  SPEAKER: 0,
  EAR: 1,
} as const;

/** Upstream video resolutions. */
export const TUIVideoQuality = {
  kVideoQuality_360p: 1,
  kVideoQuality_540p: 2,
  kVideoQuality_720p: 3,
  kVideoQuality_1080p: 4,
} as const;

/** Audio profiles. */
export const TUIAudioQuality = {
  kAudioProfileSpeech: 0,
  kAudioProfileDefault: 1,
  kAudioProfileMusic: 2,
} as const;

/** Network quality levels (`ON_USER_NETWORK_QUALITY_CHANGED`). */
export const TUINetworkQuality = {
  kQualityUnknown: 0,
  kQualityExcellent: 1,
  kQualityGood: 2,
  kQualityPoor: 3,
  kQualityBad: 4,
  kQualityVeryBad: 5,
  kQualityDown: 6,
} as const;

/** Why a user was removed from a room. */
export const TUIKickedOutOfRoomReason = {
  kKickedByAdmin: 0,
  kKickedByLoggedOnOtherDevice: 1,
  kKickedByServer: 2,
} as const;

/** Landscape or portrait encoding. */
export const TUIResolutionMode = {
  kResolutionMode_Landscape: 0,
  kResolutionMode_Portrait: 1,
} as const;

/** Capture settings of one video profile. */
export interface VideoEncoderProfile {
  width: number;
  height: number;
  /** Frames per second. */
  frameRate: number;
  /** Target bitrate, kbps. */
  bitrate: number;
}

/**
 * The video profiles `setVideoQuality` accepts (the declarations type this `any`; these are the
 * profiles their documentation lists, `480p` by default) and what each asks the camera for.
 */
export const VIDEO_ENCODER_MAP: Record<string, VideoEncoderProfile> = {
  '360p': { width: 640, height: 360, frameRate: 15, bitrate: 600 },
  '480p': { width: 640, height: 480, frameRate: 15, bitrate: 900 },
  '540p': { width: 960, height: 540, frameRate: 15, bitrate: 1000 },
  '720p': { width: 1280, height: 720, frameRate: 15, bitrate: 1500 },
  '1080p': { width: 1920, height: 1080, frameRate: 15, bitrate: 2000 },
};

/** The role of this user in the call, as the `callRole` field of call events. */
export const TUICallRole = {
  NONE: 0,
  CALLER: 1,
  CALLEE: 2,
} as const;
