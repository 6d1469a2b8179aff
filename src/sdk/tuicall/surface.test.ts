/**
 * The stand-in's public surface against `@tencentcloud/call-engine-js` 3.3.4's declarations:
 * every method exists, the documented no-ops resolve, every `TUICallEvent` name and value and
 * the exported constants match, and the stand-ins of TIM and TRTCCloud answer what the UI asks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClient, FakePlatform, signedIn } from '../../testing/tuicall-fakes.js';
import chat, { create as createChat, EVENT as CHAT_EVENT } from './chat-stub.js';
import { CallEndReason, TUICallCameraPosition, TUICallType, TUIErrorCode, VIDEO_ENCODER_MAP } from './constants.js';
import { setDefaultPlatform, TUICallEngine } from './engine.js';
import { TUICallEvent, TUIRoomDeviceMangerEvents } from './events.js';

afterEach(() => {
  TUICallEngine.instance = null;
});

/** The public methods of `declare class TUICallEngine` in the 3.3.4 declarations. */
const METHODS = [
  'destroyInstance',
  'login',
  'logout',
  'call',
  'groupCall',
  'calls',
  'accept',
  'reject',
  'hangup',
  'inviteUser',
  'joinInGroupCall',
  'join',
  'openCamera',
  'closeCamera',
  'switchCamera',
  'setVideoQuality',
  'setVideoRenderParams',
  'openMicrophone',
  'closeMicrophone',
  'startRemoteView',
  'stopRemoteView',
  'setBlurBackground',
  'setVirtualBackground',
  'enableMultiDeviceAbility',
  'setSelfInfo',
  'setBeautyLevel',
  'setLogLevel',
  'init',
  'on',
  'off',
  'getTRTCCloudInstance',
  'getTim',
  'callExperimentalAPI',
  'getDeviceList',
  'switchDevice',
  'switchCallMediaType',
  'getDevicePermission',
];

/** `engine` (signed in with `client`) is in a connected video call with bob. */
async function inVideoCall(engine: TUICallEngine, client: FakeClient): Promise<void> {
  await engine.calls({ userIDList: ['bob'], type: 2 });
  client.emit('onCallBegin', {
    callId: 'call-1',
    mediaType: 'Video',
    info: { roomId: 1, roomIdType: 1, userData: '', chatGroupId: '', timeout: 30 },
  });
}

describe('methods', () => {
  it('has every public method of the declarations, and the static ones', () => {
    const engine = new TUICallEngine({ SDKAppID: 1 }, new FakePlatform(new FakeClient('a')));
    for (const m of METHODS) expect(typeof (engine as unknown as Record<string, unknown>)[m], m).toBe('function');
    for (const m of ['createInstance', 'once', 'setModule'])
      expect(typeof (TUICallEngine as unknown as Record<string, unknown>)[m], m).toBe('function');
    expect(TUICallEngine.className).toBe('TUICallEngine');
    // Also called by the UI though not declared.
    expect(typeof engine.enableAIVoice).toBe('function');
    expect(typeof engine.reportLog).toBe('function');
  });

  it('the documented no-ops resolve and change nothing', async () => {
    const { engine, client, platform } = await signedIn('alice');
    await expect(engine.setBlurBackground(3)).resolves.toBeUndefined();
    await expect(engine.setVirtualBackground('https://x/bg.png')).resolves.toBeUndefined();
    await expect(engine.setBeautyLevel({ style: 0, beautyLevel: 5, whitenessLevel: 5, ruddinessLevel: 5 })).resolves.toBeUndefined();
    await expect(engine.switchCamera(TUICallCameraPosition.BACK)).resolves.toBeUndefined();
    await expect(engine.enableAIVoice(true)).resolves.toBeUndefined();
    await expect(engine.callExperimentalAPI('{"api":"forceUseV2API","params":{"enable":true}}')).resolves.toEqual({});
    expect(engine.enableMultiDeviceAbility(true)).toBeUndefined();
    expect(TUICallEngine.setModule({})).toBeUndefined();
    expect(client.ops).toEqual([]);
    expect(platform.opened).toEqual([]);
  });

  it("createInstance makes one instance on the default platform; once('ready') fires", async () => {
    setDefaultPlatform(() => new FakePlatform(new FakeClient('a')));
    const a = TUICallEngine.createInstance({ SDKAppID: 5 });
    expect(TUICallEngine.createInstance({ SDKAppID: 6 })).toBe(a);
    expect(TUICallEngine.instance).toBe(a);
    const ready = await new Promise<boolean>((resolve) => TUICallEngine.once('ready', () => resolve(true)));
    expect(ready).toBe(true);
    await a.destroyInstance();
    expect(TUICallEngine.instance).toBeNull();
  });

  it('lists devices of the asked kind; switchDevice takes the speaker at once where the browser can', async () => {
    const { engine, platform } = await signedIn('alice');
    platform.devices = [
      { deviceId: 'cam1', deviceName: 'Cam', label: 'Cam', groupId: 'g', kind: 'videoinput' },
      { deviceId: 'spk1', deviceName: 'Spk', label: 'Spk', groupId: 'g', kind: 'audiooutput' },
    ];
    expect((await engine.getDeviceList('camera')).map((d) => d.deviceId)).toEqual(['cam1']);
    expect((await engine.getDeviceList('speaker')).map((d) => d.label)).toEqual(['Spk']);
    await expect(engine.getDeviceList('printer')).rejects.toMatchObject({ code: -1001 });
    expect(await engine.switchDevice({ deviceType: 'speaker', deviceId: 'spk1' })).toBe(true);
    expect(platform.speaker).toBe('spk1');
    platform.canChooseSpeaker = false;
    expect(await engine.switchDevice({ deviceType: 'speaker', deviceId: 'spk1' })).toBe(false);
  });

  it('switchDevice swaps a previewed camera now, and in a connected call only with track replacement', async () => {
    const { engine, platform, client } = await signedIn('alice');
    await engine.openCamera('preview');
    const first = platform.streams[0]!.getVideoTracks()[0]!;
    expect(await engine.switchDevice({ deviceType: 'camera', deviceId: 'cam2' })).toBe(true);
    expect(platform.opened[1]!.video).toMatchObject({ deviceId: { exact: 'cam2' } });
    expect(first.readyState).toBe('ended');
    expect(platform.drawn.get('preview')!.stream.getVideoTracks()).toEqual([platform.streams[1]!.getVideoTracks()[0]]);
    await engine.closeCamera();
    await inVideoCall(engine, client);
    expect(await engine.switchDevice({ deviceType: 'microphone', deviceId: 'mic2' })).toBe(false);
    await engine.hangup();
    platform.withReplaceTrack = true;
    await inVideoCall(engine, client);
    expect(await engine.switchDevice({ deviceType: 'microphone', deviceId: 'mic2' })).toBe(true);
    expect(platform.media.replaced.map((t) => t.kind)).toEqual(['audio']);
  });

  it('switchCamera opens the camera facing the other way and sends it in a call; a chosen camera device wins', async () => {
    const { engine, platform, client } = await signedIn('alice');
    platform.withReplaceTrack = true;
    await inVideoCall(engine, client);
    await engine.switchCamera(1);
    expect(platform.opened.at(-1)!.video).toMatchObject({ facingMode: 'environment' });
    expect(platform.media.replaced.map((t) => t.kind)).toEqual(['video']);
    await engine.switchCamera(0);
    expect(platform.opened.at(-1)!.video).toMatchObject({ facingMode: 'user' });
    await engine.switchDevice({ deviceType: 'camera', deviceId: 'cam2' });
    expect(platform.opened.at(-1)!.video).toMatchObject({ deviceId: { exact: 'cam2' } });
    expect(platform.opened.at(-1)!.video).not.toHaveProperty('facingMode');
    await expect(engine.switchCamera(7)).rejects.toMatchObject({ code: -1001 });
  });
});

describe('constants', () => {
  it('TUICallEvent has every name and value of 3.3.x', () => {
    expect(TUICallEvent).toEqual({
      ERROR: 'onError',
      SDK_READY: 'sdkReady',
      KICKED_OUT: 'onKickedOffLine',
      onUserSigExpired: 'onUserSigExpired',
      ON_CALL_BEGIN: 'onCallBegin',
      INVITED: 'onInvited',
      ON_CALL_RECEIVED: 'onCallReceived',
      USER_ACCEPT: 'onUserAccept',
      USER_ENTER: 'onUserJoin',
      USER_LEAVE: 'onUserLeave',
      REJECT: 'onUserReject',
      NO_RESP: 'onUserNoResponse',
      LINE_BUSY: 'onUserLineBusy',
      CALLING_CANCEL: 'onCallingCancel',
      ON_CALL_CANCELED: 'onCallCancelled',
      CALL_END: 'onCallEnd',
      CALLING_END: 'onCallEnd',
      USER_VIDEO_AVAILABLE: 'onUserVideoAvailable',
      USER_AUDIO_AVAILABLE: 'onUserAudioAvailable',
      USER_VOICE_VOLUME: 'onUserVoiceVolumeChanged',
      GROUP_CALL_INVITEE_LIST_UPDATE: 'onGroupCallInviteeListUpdate',
      CALL_TYPE_CHANGED: 'onCallMediaTypeChanged',
      DEVICED_UPDATED: 'onDeviceUpdated',
      ON_USER_NETWORK_QUALITY_CHANGED: 'onUserNetworkQualityChanged',
      MESSAGE_SENT_BY_ME: 'onMessageSentByMe',
      onDeviceChange: 'onDeviceChange',
      ON_CALL_NOT_CONNECTED: 'onCallNotConnected',
      ON_USER_INVITING: 'onUserInviting',
    });
    expect(TUIRoomDeviceMangerEvents).toEqual({ onDeviceChanged: 'onDeviceChanged' });
  });

  it('the enums keep their declared numbers', () => {
    expect(TUICallType).toEqual({ AUDIO_CALL: 1, VIDEO_CALL: 2, DEVCIED_CAMERA: 'camera', DEVCIED_MICROPHONES: 'microphones' });
    expect(TUIErrorCode).toMatchObject({ ERR_SUCC: 0, ERR_FAILED: -1, ERR_INVALID_PARAMETER: -1001, ERR_SDK_NOT_INITIALIZED: -1002 });
    expect(TUIErrorCode).toMatchObject({
      ERR_CAMERA_NOT_AUTHORIZED: -1101,
      ERR_MICROPHONE_NOT_AUTHORIZED: -1105,
      ERR_REQUEST_ID_INVALID: -2311,
    });
    expect(CallEndReason).toEqual({
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
    });
    expect(TUICallCameraPosition).toEqual({ FRONT: 0, BACK: 1 });
    expect(Object.keys(VIDEO_ENCODER_MAP)).toEqual(expect.arrayContaining(['480p', '720p', '1080p']));
  });
});

describe('what the UI reaches through the engine', () => {
  it('getTim() answers profiles with user ids as names, and the self info set', async () => {
    const { engine } = await signedIn('alice');
    const tim = engine.getTim() as {
      getMyProfile(): Promise<{ code: number; data: { userID: string; nick: string; avatar: string } }>;
      getFriendProfile(o: {
        userIDList: string[];
      }): Promise<{ code: number; data: { friendList: unknown[]; failureUserIDList: { userID: string }[] } }>;
      getUserProfile(o: { userIDList: string[] }): Promise<{ code: number; data: { userID: string; nick: string }[] }>;
    };
    expect(engine.tim).toBe(tim);
    expect(await tim.getMyProfile()).toEqual({ code: 0, data: { userID: 'alice', nick: '', avatar: '' } });
    await engine.setSelfInfo({ nickName: 'Alice', avatar: 'https://x/a.png' });
    expect((await tim.getMyProfile()).data).toEqual({ userID: 'alice', nick: 'Alice', avatar: 'https://x/a.png' });
    const friends = await tim.getFriendProfile({ userIDList: ['bob'] });
    expect(friends.data.friendList).toEqual([]);
    expect(friends.data.failureUserIDList.map((f) => f.userID)).toEqual(['bob']);
    expect((await tim.getUserProfile({ userIDList: ['bob'] })).data).toEqual([{ userID: 'bob', nick: '', avatar: '' }]);
  });

  it("getTim() returns the app's own chat instance when createInstance got one", () => {
    const own = { mine: true };
    const engine = new TUICallEngine({ SDKAppID: 1, tim: own }, new FakePlatform(new FakeClient('a')));
    expect(engine.getTim()).toBe(own);
  });

  it('getTRTCCloudInstance() has on, off and muteAllRemoteAudio', () => {
    const trtc = new TUICallEngine({ SDKAppID: 1 }, new FakePlatform(new FakeClient('a'))).getTRTCCloudInstance();
    const handler = () => undefined;
    expect(() => trtc.on('onRecvCustomCmdMsg', handler, {})).not.toThrow();
    expect(() => trtc.off('onRecvCustomCmdMsg', handler, {})).not.toThrow();
    expect(typeof trtc.muteAllRemoteAudio).toBe('function');
  });

  it('the chat stub has the chat SDK constants the UI and tui-core read, and create() returns one instance per app', async () => {
    expect(chat.EVENT.GROUP_ATTRIBUTES_UPDATED).toBe('groupAttributesUpdated');
    expect(CHAT_EVENT.SDK_READY).toBe('sdkStateReady');
    expect(chat.TYPES.MSG_CUSTOM).toBe('TIMCustomElem');
    expect(chat.TSignaling.ACTION_TYPE_INVITE).toBe(1);
    const a = createChat({ SDKAppID: 1 });
    expect(chat.create({ SDKAppID: 1 })).toBe(a);
    await a.login({ userID: 'alice', userSig: 's' });
    expect((await a.getMyProfile()).data.userID).toBe('alice');
    expect(() => a.registerPlugin({ 'tim-upload-plugin': {} })).not.toThrow();
    await a.destroy();
    expect(createChat({ SDKAppID: 1 })).not.toBe(a);
  });
});
