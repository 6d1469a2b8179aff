/**
 * The engine's event names, exactly as `@tencentcloud/call-engine-js` 3.3.x declares them
 * (`TUICallEvent` of its index.d.ts): the UI subscribes by these string values, so every name
 * and value is kept, the deprecated ones and the two names that share `onCallEnd` included.
 */

/** Every event name of TUICallEngine 3.3.x and its string value. */
export const TUICallEvent = {
  /** An error inside the engine: `{ code, message }`. */
  ERROR: 'onError',
  /** Signed in and ready (after `login`). */
  SDK_READY: 'sdkReady',
  /** Signed out because the same user and device signed in elsewhere. */
  KICKED_OUT: 'onKickedOffLine',
  /** The UserSig expired while signed in. */
  onUserSigExpired: 'onUserSigExpired',
  /** The call connected (to each member as they enter it). */
  ON_CALL_BEGIN: 'onCallBegin',
  /** Deprecated alias of `ON_CALL_RECEIVED`, emitted with it. */
  INVITED: 'onInvited',
  /** A call rings for this user. */
  ON_CALL_RECEIVED: 'onCallReceived',
  /** A user answered (emitted with `USER_ENTER` when a member enters). */
  USER_ACCEPT: 'onUserAccept',
  /** A user entered the call: `{ userID }`. */
  USER_ENTER: 'onUserJoin',
  /** A user left the call: `{ userID }`. */
  USER_LEAVE: 'onUserLeave',
  /** A user declined: `{ userID }`. */
  REJECT: 'onUserReject',
  /** A user did not answer in time: `{ userID, userIDList }`. */
  NO_RESP: 'onUserNoResponse',
  /** A user was busy: `{ userID }`. */
  LINE_BUSY: 'onUserLineBusy',
  /** Deprecated: the call was cancelled before connecting (emitted with `ON_CALL_NOT_CONNECTED`). */
  CALLING_CANCEL: 'onCallingCancel',
  /** Deprecated: the call was cancelled before connecting (emitted with `ON_CALL_NOT_CONNECTED`). */
  ON_CALL_CANCELED: 'onCallCancelled',
  /** The call ended (same value as `CALLING_END`). */
  CALL_END: 'onCallEnd',
  /** The call ended. */
  CALLING_END: 'onCallEnd',
  /** A remote user's video became available or not: `{ userID, isVideoAvailable }`. */
  USER_VIDEO_AVAILABLE: 'onUserVideoAvailable',
  /** A remote user's audio became available or not: `{ userID, isAudioAvailable }`. */
  USER_AUDIO_AVAILABLE: 'onUserAudioAvailable',
  /** Speaking volumes: `{ volumeMap: [{ userId, audioVolume }] }`. */
  USER_VOICE_VOLUME: 'onUserVoiceVolumeChanged',
  /** The invitee list of a group call changed: `{ userIDList }`. */
  GROUP_CALL_INVITEE_LIST_UPDATE: 'onGroupCallInviteeListUpdate',
  /** The call's media type changed: `{ oldCallType, newCallType }`. */
  CALL_TYPE_CHANGED: 'onCallMediaTypeChanged',
  /** Device lists changed: `{ cameraList, microphoneList, speakerList, currentCamera, currentMicrophone, currentSpeaker }`. */
  DEVICED_UPDATED: 'onDeviceUpdated',
  /** Network quality: `{ networkQualityList: [{ userId, quality }] }`. */
  ON_USER_NETWORK_QUALITY_CHANGED: 'onUserNetworkQualityChanged',
  /** A chat message this user sent (chat integration only; Dialtone has no chat). */
  MESSAGE_SENT_BY_ME: 'onMessageSentByMe',
  /** A device was plugged or unplugged: `{ deviceId, type, state }`. */
  onDeviceChange: 'onDeviceChange',
  /** The call ended before this user was connected to it. */
  ON_CALL_NOT_CONNECTED: 'onCallNotConnected',
  /** Someone in the call invited another user: `{ userID }`. */
  ON_USER_INVITING: 'onUserInviting',
} as const;

/** A TUICallEngine event name. */
export type TUICallEventName = (typeof TUICallEvent)[keyof typeof TUICallEvent];

/** The device manager's event names (`TUIRoomDeviceMangerEvents` of the declarations, spelling kept). */
export const TUIRoomDeviceMangerEvents = {
  /** A device changed. */
  onDeviceChanged: 'onDeviceChanged',
} as const;
