/**
 * The TUICallEngine stand-in against a fake Dialtone client and fake media: sign-in, placing,
 * answering and ending calls, every client event as the engine event the UI listens to, remote
 * media availability, the camera and microphone, and errors as rejections and `ERROR` events.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClient, FakePlatform, FakeStream, FakeTrack, record, signedIn, until } from '../../testing/tuicall-fakes.js';
import { TUICallEvent as E } from './events.js';
import { configureDialtone, TUICallEngine } from './engine.js';

const info = { roomId: 42, roomIdType: 1 as const, userData: '', chatGroupId: '', timeout: 30 };
const ALL = Object.values(E);

afterEach(() => {
  configureDialtone({ server: undefined, device: undefined, iceServers: undefined });
  TUICallEngine.instance = null;
});

/** An engine with a call ringing for bob from alice. */
async function ringing(mediaType: 'Audio' | 'Video' = 'Video') {
  const s = await signedIn('bob');
  const seen = record(s.engine, ALL);
  s.client.emit('onCallReceived', { callId: 'c1', callerId: 'alice', calleeIdList: ['bob'], mediaType, info });
  return { ...s, seen };
}

/** An engine (alice) whose video call to bob is connected, bob's media arrived. */
async function connected() {
  const s = await signedIn('alice');
  const seen = record(s.engine, ALL);
  await s.engine.calls({ userIDList: ['bob'], type: 2 });
  s.client.emit('onCallBegin', { callId: 'call-1', mediaType: 'Video', info });
  s.client.emit('onUserJoin', { callId: 'call-1', userId: 'bob' });
  return { ...s, seen };
}

describe('sign-in', () => {
  it('connects to the configured server with the app, user and device, then emits SDK_READY', async () => {
    configureDialtone({ server: 'https://calls.example.com', device: 'laptop' });
    const client = new FakeClient('alice');
    const platform = new FakePlatform(client);
    const engine = new TUICallEngine({ SDKAppID: 1400000001 }, platform);
    const seen = record(engine, [E.SDK_READY]);
    await engine.login({ userID: 'alice', userSig: 'sig' });
    expect(platform.connected).toEqual([
      { server: 'https://calls.example.com', sdkAppId: 1400000001, userId: 'alice', userSig: 'sig', device: 'laptop' },
    ]);
    expect(seen).toEqual([[E.SDK_READY, {}]]);
    expect(client.listening('onCallReceived')).toBe(1);
  });

  it("defaults to the page's origin; init is login", async () => {
    const client = new FakeClient('alice');
    const platform = new FakePlatform(client);
    await new TUICallEngine({ sdkAppID: 7 }, platform).init({ userID: 'alice', userSig: 'sig' });
    expect(platform.connected[0]).toEqual({ server: 'http://page.example', sdkAppId: 7, userId: 'alice', userSig: 'sig' });
  });

  it('rejects a refused sign-in with the server code and a message, and emits ERROR', async () => {
    const platform = new FakePlatform(new FakeClient('alice'));
    platform.connectError = { code: 70001, message: 'UserSig expired' };
    const engine = new TUICallEngine({ SDKAppID: 1 }, platform);
    const seen = record(engine, [E.ERROR, E.SDK_READY]);
    const err = await engine.login({ userID: 'alice', userSig: 'old' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 70001, message: 'login failed: UserSig expired (Dialtone 70001)' });
    expect(seen).toEqual([[E.ERROR, { code: 70001, message: 'login failed: UserSig expired (Dialtone 70001)' }]]);
  });

  it('rejects a sign-in without SDKAppID or userSig as an invalid parameter (-1001)', async () => {
    const engine = new TUICallEngine({}, new FakePlatform(new FakeClient('alice')));
    await expect(engine.login({ userID: 'alice', userSig: 'sig' })).rejects.toMatchObject({ code: -1001 });
    await expect(engine.login({ userID: 'alice', userSig: '' })).rejects.toMatchObject({ code: -1001 });
  });

  it('ops before sign-in reject with ERR_SDK_NOT_INITIALIZED (-1002)', async () => {
    const engine = new TUICallEngine({ SDKAppID: 1 }, new FakePlatform(new FakeClient('alice')));
    await expect(engine.calls({ userIDList: ['bob'], type: 1 })).rejects.toMatchObject({ code: -1002 });
    await expect(engine.accept()).rejects.toMatchObject({ code: -1002 });
  });

  it('logout hangs up a live call, stops listening and closes the client', async () => {
    const { client, engine, platform } = await connected();
    await engine.logout();
    expect(client.argsOf('hangup')).toEqual(['call-1']);
    expect(client.destroyed).toBe(true);
    expect(client.listening('onCallReceived')).toBe(0);
    expect(platform.media.stopped).toBe(true);
  });
});

describe('placing a call', () => {
  it('opens camera and microphone, dials, starts the call media, and resolves { code: 0 } with the room', async () => {
    const { client, platform, engine } = await signedIn('alice');
    client.replies.calls = async () => ({ callId: 'c9', roomId: 'blue', roomIdType: 2 });
    const r = await engine.calls({
      userIDList: ['bob', 'carol'],
      type: 2,
      chatGroupID: 'g1',
      timeout: 20,
      userData: 'x',
      strRoomID: 'blue',
    });
    expect(platform.opened).toHaveLength(1);
    expect(platform.opened[0]!.audio).toBe(true);
    expect(platform.opened[0]!.video).toBeTruthy();
    expect(client.argsOf('calls')).toEqual([
      { userIdList: ['bob', 'carol'], mediaType: 'Video', roomId: 'blue', roomIdType: 2, timeout: 20, userData: 'x', chatGroupId: 'g1' },
    ]);
    expect(platform.media.params).toMatchObject({ callId: 'c9', mediaType: 'Video', localStream: platform.streams[0] });
    expect(platform.media.started).toBe(true);
    expect(r).toMatchObject({ code: 0, callId: 'c9', roomID: 0, strRoomID: 'blue' });
  });

  it("leaves the ICE servers to the media (the server's) unless configureDialtone gives some", async () => {
    const { client, platform, engine } = await signedIn('alice');
    await engine.calls({ userIDList: ['bob'], type: 1 });
    expect(platform.media.params).not.toHaveProperty('iceServers');
    client.emit('onCallEnd', { callId: 'call-1', mediaType: 'Audio', reason: 'hangup', userId: 'bob', totalTime: 1 });
    const iceServers = [{ urls: 'turn:turn.example.com', username: 'u', credential: 'p' }];
    configureDialtone({ iceServers });
    await engine.calls({ userIDList: ['bob'], type: 1 });
    expect(platform.media.params.iceServers).toEqual(iceServers);
  });

  it('an audio call opens only the microphone; call and groupCall map to calls', async () => {
    const { client, platform, engine } = await signedIn('alice');
    await engine.call({ userID: 'bob', type: 1, roomID: 77 });
    expect(platform.opened[0]).toEqual({ audio: true });
    expect(client.argsOf('calls')[0]).toEqual({ userIdList: ['bob'], mediaType: 'Audio', roomId: 77, roomIdType: 1 });
    client.emit('onCallEnd', { callId: 'call-1', mediaType: 'Audio', reason: 'hangup', userId: 'bob', totalTime: 1 });
    await engine.groupCall({ userIDList: ['bob', 'carol'], type: 1, groupID: 'g7' });
    expect(client.argsOf('calls')[1]).toEqual({ userIdList: ['bob', 'carol'], mediaType: 'Audio', chatGroupId: 'g7' });
  });

  it('rejects a bad type or an empty user list with -1001 before opening anything', async () => {
    const { client, platform, engine } = await signedIn('alice');
    await expect(engine.calls({ userIDList: ['bob'], type: 3 })).rejects.toMatchObject({ code: -1001 });
    await expect(engine.calls({ userIDList: [], type: 1 })).rejects.toMatchObject({ code: -1001 });
    expect(platform.opened).toHaveLength(0);
    expect(client.argsOf('calls')).toHaveLength(0);
  });

  it('a denied microphone rejects with -1105 and the message the UI looks for, and nothing is dialled', async () => {
    const { client, platform, engine } = await signedIn('alice');
    platform.failNext = Object.assign(new Error('Permission denied'), { name: 'NotAllowedError' });
    const seen = record(engine, [E.ERROR]);
    const err = await engine.calls({ userIDList: ['bob'], type: 1 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: -1105, message: 'NotAllowedError: Permission denied' });
    expect(seen).toEqual([[E.ERROR, { code: -1105, message: 'NotAllowedError: Permission denied' }]]);
    expect(client.argsOf('calls')).toHaveLength(0);
    expect(engine.getDevicePermission()).toEqual({ audio: false, video: false });
  });

  it('a refused call rejects with the mapped code and releases the camera and microphone', async () => {
    const { client, platform, engine } = await signedIn('alice');
    client.replies.calls = async () => {
      throw { code: -1204, message: 'already in a call' };
    };
    await expect(engine.calls({ userIDList: ['bob'], type: 2 })).rejects.toMatchObject({ code: -1, dialtoneCode: -1204 });
    expect(platform.streams[0]!.tracks.every((t) => t.readyState === 'ended')).toBe(true);
    expect(platform.medias).toHaveLength(0);
  });

  it('events of the call that come before its reply are delivered after it, in order', async () => {
    const { client, engine } = await signedIn('alice');
    const seen = record(engine, ALL);
    client.replies.calls = async () => {
      client.emit('onUserLineBusy', { callId: 'c5', userId: 'bob' });
      client.emit('onCallNotConnected', { callId: 'c5', mediaType: 'Audio', reason: 'lineBusy', userId: 'bob' });
      return { callId: 'c5', roomId: 1, roomIdType: 1 };
    };
    const r = await engine.calls({ userIDList: ['bob'], type: 1 });
    expect(r).toMatchObject({ code: 0, callId: 'c5' });
    await until(() => seen.length >= 3, 'the held events');
    expect(seen.map(([n]) => n)).toEqual([E.LINE_BUSY, E.ON_CALL_NOT_CONNECTED, E.ON_CALL_CANCELED]);
    expect(seen[0]![1]).toEqual({ callId: 'c5', userID: 'bob' });
  });

  it('hangup while the dial is in flight cancels the call once the server answers', async () => {
    const { client, engine } = await signedIn('alice');
    let answer: (v: unknown) => void = () => undefined;
    client.replies.calls = () => new Promise((r) => (answer = r));
    const dial = engine.calls({ userIDList: ['bob'], type: 1 });
    await until(() => client.argsOf('calls').length === 1, 'the calls op');
    expect(await engine.hangup()).toEqual([expect.objectContaining({ code: 0 })]);
    answer({ callId: 'c6', roomId: 1, roomIdType: 1 });
    await dial;
    expect(client.argsOf('hangup')).toEqual(['c6']);
  });

  it('a second call while in one is refused locally', async () => {
    const { engine } = await connected();
    await expect(engine.calls({ userIDList: ['carol'], type: 1 })).rejects.toMatchObject({ code: -1 });
  });
});

describe('answering', () => {
  it('ON_CALL_RECEIVED (and the deprecated INVITED) carry the caller, callees, media type and room', async () => {
    const { seen } = await ringing();
    const payload = {
      callId: 'c1',
      callerId: 'alice',
      calleeIdList: ['bob'],
      isGroupCall: false,
      groupID: '',
      chatGroupID: '',
      callMediaType: 2,
      callType: 2,
      roomID: 42,
      strRoomID: '',
      userData: '',
      timeout: 30,
      inviteData: { callType: 2, roomID: 42, userData: '' },
    };
    expect(seen).toEqual([
      [E.ON_CALL_RECEIVED, payload],
      [E.INVITED, payload],
    ]);
  });

  it('accept opens media and starts the call media before accepting, and resolves { code: 0 }', async () => {
    const { client, platform, engine } = await ringing();
    client.replies.accept = async () => void platform.log.push('accept');
    const r = await engine.accept();
    expect(platform.log).toEqual(['getUserMedia', 'media.start', 'accept']);
    expect(client.argsOf('accept')).toEqual(['c1']);
    expect(r).toMatchObject({ code: 0 });
  });

  it('onCallBegin becomes ON_CALL_BEGIN, and the caller enters (USER_ENTER once)', async () => {
    const { client, engine, seen } = await ringing();
    await engine.accept();
    seen.length = 0;
    client.emit('onCallBegin', { callId: 'c1', mediaType: 'Video', info });
    client.emit('onUserJoin', { callId: 'c1', userId: 'alice' });
    expect(seen).toEqual([
      [E.ON_CALL_BEGIN, { callId: 'c1', callMediaType: 2, callRole: 2, roomID: 42, strRoomID: '' }],
      [E.USER_ENTER, { callId: 'c1', userID: 'alice' }],
      [E.USER_ACCEPT, { callId: 'c1', userID: 'alice' }],
    ]);
  });

  it("onCallBegin's members (SPEC §4) say who is in the call and whose camera is off", async () => {
    const { client, engine, platform, seen } = await ringing();
    await engine.accept();
    seen.length = 0;
    client.emit('onCallBegin', {
      callId: 'c1',
      callerId: 'alice',
      mediaType: 'Video',
      info,
      members: [
        { userId: 'alice', status: 'Calling', camera: false, microphone: true },
        { userId: 'bob', status: 'Calling' },
      ],
    });
    platform.media.params.onRemoteStream('alice', new FakeStream([new FakeTrack('audio'), new FakeTrack('video')]));
    expect(seen.map(([n, d]) => [n, d.userID ?? d.callId])).toEqual([
      [E.ON_CALL_BEGIN, 'c1'],
      [E.USER_ENTER, 'alice'],
      [E.USER_ACCEPT, 'alice'],
      [E.USER_AUDIO_AVAILABLE, 'alice'],
    ]);
  });

  it('a device that cannot open the microphone rejects the ringing call on the server', async () => {
    const { client, platform, engine } = await ringing('Audio');
    platform.failNext = Object.assign(new Error('no device'), { name: 'NotFoundError' });
    await expect(engine.accept()).rejects.toMatchObject({ code: -1107 });
    expect(client.argsOf('reject')).toEqual(['c1']);
    expect(client.argsOf('accept')).toHaveLength(0);
  });

  it('accept with nothing ringing rejects', async () => {
    const { engine } = await signedIn('bob');
    await expect(engine.accept()).rejects.toMatchObject({ code: -1, message: 'accept: no call is ringing' });
  });

  it('reject declines on the server and resolves { code: 0 }', async () => {
    const { client, engine } = await ringing();
    expect(await engine.reject()).toMatchObject({ code: 0 });
    expect(client.argsOf('reject')).toEqual(['c1']);
  });

  it('a call that rings while already in one is refused as line busy (ignore) and not shown', async () => {
    const { client, engine } = await connected();
    const seen = record(engine, [E.ON_CALL_RECEIVED]);
    client.emit('onCallReceived', { callId: 'c2', callerId: 'carol', calleeIdList: ['alice'], mediaType: 'Audio', info });
    await until(() => client.argsOf('ignore').length === 1, 'ignore');
    expect(client.argsOf('ignore')).toEqual(['c2']);
    expect(seen).toEqual([]);
  });
});

describe('members and outcomes', () => {
  it('REJECT, LINE_BUSY, USER_LEAVE, ON_USER_INVITING are { userID }; NO_RESP has userIDList', async () => {
    const { client, seen } = await connected();
    seen.length = 0;
    client.emit('onUserInviting', { callId: 'call-1', userId: 'carol' });
    client.emit('onUserReject', { callId: 'call-1', userId: 'carol' });
    client.emit('onUserLineBusy', { callId: 'call-1', userId: 'dave' });
    client.emit('onUserNoResponse', { callId: 'call-1', userId: 'erin' });
    client.emit('onUserLeave', { callId: 'call-1', userId: 'bob' });
    client.emit('onUserLeave', { callId: 'other', userId: 'bob' });
    expect(seen).toEqual([
      [E.ON_USER_INVITING, { callId: 'call-1', userID: 'carol' }],
      [E.GROUP_CALL_INVITEE_LIST_UPDATE, { callId: 'call-1', userIDList: ['carol'] }],
      [E.REJECT, { callId: 'call-1', userID: 'carol' }],
      [E.LINE_BUSY, { callId: 'call-1', userID: 'dave' }],
      [E.NO_RESP, { callId: 'call-1', userID: 'erin', userIDList: ['erin'] }],
      [E.USER_LEAVE, { callId: 'call-1', userID: 'bob' }],
    ]);
  });

  it('onCallEnd becomes CALLING_END and releases media, views and audio', async () => {
    const { client, platform, engine, seen } = await connected();
    platform.media.params.onRemoteStream('bob', new FakeStream([new FakeTrack('audio'), new FakeTrack('video')]));
    await engine.openCamera('localVideo');
    await engine.startRemoteView({ userID: 'bob', videoViewDomID: 'bob' });
    seen.length = 0;
    client.emit('onCallEnd', { callId: 'call-1', mediaType: 'Video', reason: 'hangup', userId: 'bob', totalTime: 61 });
    expect(seen).toEqual([
      [
        E.CALLING_END,
        {
          callId: 'call-1',
          callMediaType: 2,
          callRole: 1,
          roomID: 42,
          strRoomID: '',
          groupID: '',
          totalTime: 61,
          userID: 'bob',
          reason: 1,
        },
      ],
    ]);
    expect(platform.media.stopped).toBe(true);
    expect(platform.streams[0]!.tracks.every((t) => t.readyState === 'ended')).toBe(true);
    expect([...platform.drawn.keys()]).toEqual([]);
    expect([...platform.playing.keys()]).toEqual([]);
  });

  it('onCallNotConnected becomes ON_CALL_NOT_CONNECTED, ON_CALL_CANCELED and, for a callee, CALLING_CANCEL', async () => {
    const { client, seen } = await ringing();
    seen.length = 0;
    client.emit('onCallNotConnected', { callId: 'c1', mediaType: 'Video', reason: 'canceled', userId: 'alice' });
    const payload = { callId: 'c1', callMediaType: 2, callRole: 2, roomID: 42, strRoomID: '', groupID: '', userID: 'alice', reason: 6 };
    expect(seen).toEqual([
      [E.ON_CALL_NOT_CONNECTED, payload],
      [E.ON_CALL_CANCELED, payload],
      [E.CALLING_CANCEL, payload],
    ]);
  });

  it('hangup leaves on the server and resolves an array; without a call it resolves []', async () => {
    const { client, engine, platform, seen } = await connected();
    expect(await engine.hangup()).toEqual([expect.objectContaining({ code: 0, callId: 'call-1' })]);
    expect(client.argsOf('hangup')).toEqual(['call-1']);
    expect(platform.media.stopped).toBe(true);
    seen.length = 0;
    client.emit('onUserLeave', { callId: 'call-1', userId: 'bob' });
    client.emit('onCallEnd', { callId: 'call-1', mediaType: 'Video', reason: 'hangup', userId: 'alice', totalTime: 3 });
    expect(seen.map(([n]) => n)).toEqual([E.CALLING_END]);
    expect(await engine.hangup()).toEqual([]);
  });

  it('inviteUser rings more users in the current call', async () => {
    const { client, engine } = await connected();
    await engine.inviteUser({ userIDList: ['carol'], timeout: 15 });
    expect(client.argsOf('inviteUser')).toEqual([{ callId: 'call-1', userIdList: ['carol'], timeout: 15 }]);
    await expect(engine.inviteUser({ userIDList: [] })).rejects.toMatchObject({ code: -1001 });
  });
});

describe('remote media', () => {
  it('a member whose media arrives becomes available (USER_VIDEO/AUDIO_AVAILABLE), audio plays without an element', async () => {
    const { platform, seen } = await connected();
    seen.length = 0;
    const stream = new FakeStream([new FakeTrack('audio'), new FakeTrack('video')]);
    platform.media.params.onRemoteStream('bob', stream);
    platform.media.params.onRemoteStream('bob', stream);
    expect(seen).toEqual([
      [E.USER_VIDEO_AVAILABLE, { userID: 'bob', isVideoAvailable: true }],
      [E.USER_AUDIO_AVAILABLE, { userID: 'bob', isAudioAvailable: true }],
    ]);
    expect(platform.playing.get('bob')).toBe(stream);
  });

  it('startRemoteView draws the member into the element, now or when the media arrives', async () => {
    const { platform, engine } = await connected();
    await engine.startRemoteView({ userID: 'bob', videoViewDomID: 'bob-tile', options: { objectFit: 'contain' } });
    expect(platform.drawn.has('bob-tile')).toBe(false);
    const stream = new FakeStream([new FakeTrack('video')]);
    platform.media.params.onRemoteStream('bob', stream);
    expect(platform.drawn.get('bob-tile')).toEqual({ stream, options: { mirror: false, objectFit: 'contain' } });
    await engine.stopRemoteView({ userID: 'bob' });
    expect(platform.drawn.has('bob-tile')).toBe(false);
  });

  it('startRemoteView rejects for someone not in the call or an element that does not exist', async () => {
    const { platform, engine } = await connected();
    await expect(engine.startRemoteView({ userID: 'zoe', videoViewDomID: 'zoe' })).rejects.toMatchObject({ code: -1001 });
    platform.media.params.onRemoteStream('bob', new FakeStream([new FakeTrack('video')]));
    platform.missingElements.add('nowhere');
    await expect(engine.startRemoteView({ userID: 'bob', videoViewDomID: 'nowhere' })).rejects.toMatchObject({ code: -1001 });
  });

  it("the server's camera and microphone states (SPEC §4) turn availability off and on", async () => {
    const { client, platform, seen } = await connected();
    platform.media.params.onRemoteStream('bob', new FakeStream([new FakeTrack('audio'), new FakeTrack('video')]));
    seen.length = 0;
    client.emit('onUserVideoAvailable', { callId: 'call-1', userId: 'bob', available: false });
    client.emit('onUserAudioAvailable', { callId: 'call-1', userId: 'bob', available: false });
    client.emit('onUserVideoAvailable', { callId: 'call-1', userId: 'bob', available: true });
    client.emit('onUserVideoAvailable', { callId: 'call-1', userId: 'bob', available: true });
    expect(seen).toEqual([
      [E.USER_VIDEO_AVAILABLE, { userID: 'bob', isVideoAvailable: false }],
      [E.USER_AUDIO_AVAILABLE, { userID: 'bob', isAudioAvailable: false }],
      [E.USER_VIDEO_AVAILABLE, { userID: 'bob', isVideoAvailable: true }],
    ]);
  });

  it('a member whose connection closes is no longer available', async () => {
    const { platform, seen } = await connected();
    platform.media.params.onRemoteStream('bob', new FakeStream([new FakeTrack('audio'), new FakeTrack('video')]));
    seen.length = 0;
    platform.media.params.onRemoteGone('bob');
    expect(seen).toEqual([
      [E.USER_VIDEO_AVAILABLE, { userID: 'bob', isVideoAvailable: false }],
      [E.USER_AUDIO_AVAILABLE, { userID: 'bob', isAudioAvailable: false }],
    ]);
    expect(platform.playing.has('bob')).toBe(false);
  });

  it('muteAllRemoteAudio of the TRTCCloud stand-in mutes remote audio', async () => {
    const { platform, engine } = await connected();
    const trtc = engine.getTRTCCloudInstance();
    trtc.muteAllRemoteAudio(true);
    expect(platform.muted).toBe(true);
    trtc.muteAllRemoteAudio(false);
    expect(platform.muted).toBe(false);
  });
});

describe('camera and microphone', () => {
  it('openCamera shows the local camera mirrored in the element and tells the server once', async () => {
    const { client, platform, engine } = await connected();
    await engine.openCamera('localVideo');
    await engine.openCamera('localVideo');
    expect(platform.drawn.get('localVideo')).toEqual({ stream: platform.streams[0], options: { mirror: true } });
    expect(client.argsOf('setMediaState')).toEqual([{ callId: 'call-1', camera: true }]);
  });

  it('closeCamera and the microphone switches toggle the tracks and tell the server', async () => {
    const { client, platform, engine } = await connected();
    const [audio, video] = [platform.streams[0]!.getAudioTracks()[0]!, platform.streams[0]!.getVideoTracks()[0]!];
    await engine.closeCamera();
    expect(video.enabled).toBe(false);
    await engine.closeMicrophone();
    expect(audio.enabled).toBe(false);
    await engine.openMicrophone();
    expect(audio.enabled).toBe(true);
    await engine.openCamera('localVideo');
    expect(video.enabled).toBe(true);
    expect(client.argsOf('setMediaState')).toEqual([
      { callId: 'call-1', camera: false },
      { callId: 'call-1', microphone: false },
      { callId: 'call-1', microphone: true },
      { callId: 'call-1', camera: true },
    ]);
  });

  it("goes through the call media's own switches when it has them (CallMedia keeps the state), still once per change", async () => {
    const s = await signedIn('alice');
    s.platform.withSwitches = true;
    await s.engine.calls({ userIDList: ['bob'], type: 2 });
    await s.engine.closeCamera();
    await s.engine.closeCamera();
    await s.engine.closeMicrophone();
    await s.engine.openCamera('localVideo');
    expect(s.platform.switches).toEqual(['camera:false', 'microphone:false', 'camera:true']);
    expect(s.client.argsOf('setMediaState')).toEqual([]);
  });

  it('works locally with a client that cannot tell the server yet', async () => {
    const s = await signedIn('alice', { withMediaOps: false });
    await s.engine.calls({ userIDList: ['bob'], type: 2 });
    await s.engine.closeCamera();
    expect(s.platform.streams[0]!.getVideoTracks()[0]!.enabled).toBe(false);
    expect(s.client.argsOf('setMediaState')).toEqual([]);
  });

  it('a preview before any call opens the camera alone, and the call then adds the microphone to it', async () => {
    const { platform, engine } = await signedIn('alice');
    await engine.openCamera('preview');
    expect(platform.opened).toHaveLength(1);
    expect(platform.opened[0]!.audio).toBeUndefined();
    await engine.calls({ userIDList: ['bob'], type: 2 });
    expect(platform.opened[1]).toEqual({ audio: true });
    const local = platform.media.params.localStream;
    expect(local.getTracks().map((t) => t.kind)).toEqual(['video', 'audio']);
    await engine.hangup();
    await engine.openCamera('preview');
    await engine.closeCamera();
    expect(platform.drawn.has('preview')).toBe(false);
    expect(platform.streams.at(-1)!.tracks.every((t) => t.readyState === 'ended')).toBe(true);
  });

  it('setVideoQuality applies the profile to the camera and refuses unknown profiles', async () => {
    const { platform, engine } = await connected();
    await engine.setVideoQuality('720p');
    const video = platform.streams[0]!.getVideoTracks()[0] as FakeTrack;
    expect(video.constraints.at(-1)).toEqual({ width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 15 } });
    await expect(engine.setVideoQuality('4k')).rejects.toMatchObject({ code: -1001 });
  });

  it('setVideoRenderParams restyles what is drawn', async () => {
    const { platform, engine } = await connected();
    platform.media.params.onRemoteStream('bob', new FakeStream([new FakeTrack('video')]));
    await engine.startRemoteView({ userID: 'bob', videoViewDomID: 'bob' });
    await engine.setVideoRenderParams({ objectFit: 'fill' });
    expect(platform.drawn.get('bob')!.options).toEqual({ mirror: false, objectFit: 'fill' });
    await engine.setVideoRenderParams({ userID: 'bob', rotation: 90, mirror: true });
    expect(platform.drawn.get('bob')!.options).toEqual({ mirror: true, objectFit: 'fill', rotation: 90 });
  });
});

describe('switching media type', () => {
  it('switchCallMediaType asks the server; the change event stops the camera and makes remote video unavailable', async () => {
    const { client, platform, engine, seen } = await connected();
    platform.media.params.onRemoteStream('bob', new FakeStream([new FakeTrack('audio'), new FakeTrack('video')]));
    await engine.switchCallMediaType(1);
    expect(client.argsOf('switchMediaType')).toEqual([{ callId: 'call-1', mediaType: 'Audio' }]);
    seen.length = 0;
    client.emit('onCallMediaTypeChanged', { callId: 'call-1', oldMediaType: 'Video', newMediaType: 'Audio' });
    expect(seen).toEqual([
      [E.CALL_TYPE_CHANGED, { callId: 'call-1', oldCallType: 2, newCallType: 1, type: 1 }],
      [E.USER_VIDEO_AVAILABLE, { userID: 'bob', isVideoAvailable: false }],
    ]);
    expect(platform.streams[0]!.tracks.filter((t) => t.kind === 'video').every((t) => t.readyState === 'ended')).toBe(true);
  });

  it('a refused switch rejects and emits ERROR 60001 (to audio) as the declarations document', async () => {
    const { client, engine, seen } = await connected();
    client.replies.switchMediaType = async () => {
      throw { code: -1203, message: 'not a 1-to-1 call' };
    };
    seen.length = 0;
    await expect(engine.switchCallMediaType(1)).rejects.toMatchObject({ code: -1, dialtoneCode: -1203 });
    expect(seen).toEqual([[E.ERROR, { code: 60001, message: 'switchCallMediaType failed: not a 1-to-1 call (Dialtone -1203)' }]]);
  });

  it('back to video asks the server for a call that began as video', async () => {
    const { client, engine } = await connected();
    client.emit('onCallMediaTypeChanged', { callId: 'call-1', oldMediaType: 'Video', newMediaType: 'Audio' });
    await engine.switchCallMediaType(2);
    expect(client.argsOf('switchMediaType')).toEqual([{ callId: 'call-1', mediaType: 'Video' }]);
  });

  it('without server support it fails with ERROR 60001 (to audio) or 60002 (to video)', async () => {
    const s = await signedIn('alice', { withMediaOps: false });
    await s.engine.calls({ userIDList: ['bob'], type: 2 });
    s.client.emit('onCallBegin', { callId: 'call-1', mediaType: 'Video', info });
    const seen = record(s.engine, [E.ERROR]);
    await expect(s.engine.switchCallMediaType(1)).rejects.toMatchObject({ code: -1 });
    await expect(s.engine.switchCallMediaType(2)).rejects.toMatchObject({ code: -1 });
    expect(seen.map(([, d]) => d.code)).toEqual([60001, 60002]);
  });

  it('an audio call switched to video opens the camera, sends it through the media and shows it in localVideo', async () => {
    const s = await signedIn('alice');
    s.platform.withReplaceTrack = true;
    s.platform.withSwitches = true;
    await s.engine.calls({ userIDList: ['bob'], type: 1 });
    s.client.emit('onCallBegin', { callId: 'call-1', mediaType: 'Audio', info });
    await s.engine.switchCallMediaType(2);
    expect(s.client.argsOf('switchMediaType')).toEqual([{ callId: 'call-1', mediaType: 'Video' }]);
    const seen = record(s.engine, [E.CALL_TYPE_CHANGED, E.ERROR]);
    s.client.emit('onCallMediaTypeChanged', { callId: 'call-1', oldMediaType: 'Audio', newMediaType: 'Video' });
    expect(seen).toEqual([[E.CALL_TYPE_CHANGED, { callId: 'call-1', oldCallType: 1, newCallType: 2, type: 2 }]]);
    await until(() => s.platform.drawn.has('localVideo'), 'the local view');
    const camera = s.platform.media.replaced[0]!;
    expect(camera.kind).toBe('video');
    expect(camera.enabled).toBe(true);
    expect(s.platform.opened.at(-1)!.video).toBeTruthy();
    expect(s.platform.drawn.get('localVideo')!.options.mirror).toBe(true);
    await until(() => s.platform.switches.includes('camera:true'), 'the camera state sent');
  });

  it("when the media's own camera for the switch is in the stream first, the engine's is released", async () => {
    const s = await signedIn('alice');
    s.platform.withReplaceTrack = true;
    await s.engine.calls({ userIDList: ['bob'], type: 1 });
    s.client.emit('onCallBegin', { callId: 'call-1', mediaType: 'Audio', info });
    const local = s.platform.streams[0]!;
    s.client.emit('onCallMediaTypeChanged', { callId: 'call-1', oldMediaType: 'Audio', newMediaType: 'Video' });
    // The media opened its camera (CallMedia adds it to the same stream) before the engine's opened.
    const mediaCamera = new FakeTrack('video');
    local.addTrack(mediaCamera);
    await until(() => s.platform.drawn.has('localVideo'), 'the local view');
    const engineCamera = s.platform.streams.at(-1)!.getVideoTracks()[0]!;
    expect(engineCamera).not.toBe(mediaCamera);
    expect(engineCamera.readyState).toBe('ended');
    expect(s.platform.media.replaced).toEqual([]);
    expect(local.getVideoTracks()).toEqual([mediaCamera]);
  });
});

describe('measures', () => {
  it("one reading of the media's voice volumes is one USER_VOICE_VOLUME with a volumeMap", async () => {
    const { platform, seen } = await connected();
    seen.length = 0;
    platform.media.measure('volume', { userId: 'bob', volume: 40 });
    platform.media.measure('volume', { userId: 'alice', volume: 0 });
    await Promise.resolve();
    platform.media.measure('volume', { userId: 'bob', volume: 7 });
    await Promise.resolve();
    expect(seen).toEqual([
      [
        E.USER_VOICE_VOLUME,
        {
          volumeMap: [
            { userId: 'bob', audioVolume: 40 },
            { userId: 'alice', audioVolume: 0 },
          ],
        },
      ],
      [E.USER_VOICE_VOLUME, { volumeMap: [{ userId: 'bob', audioVolume: 7 }] }],
    ]);
  });

  it('one reading of network quality (members, then this device) is one ON_USER_NETWORK_QUALITY_CHANGED', async () => {
    const { platform, seen } = await connected();
    seen.length = 0;
    platform.media.measure('networkQuality', { userId: 'bob', quality: 2 });
    platform.media.measure('networkQuality', { userId: 'alice', quality: 4 });
    await Promise.resolve();
    expect(seen).toEqual([
      [
        E.ON_USER_NETWORK_QUALITY_CHANGED,
        {
          networkQualityList: [
            { userId: 'bob', quality: 2 },
            { userId: 'alice', quality: 4 },
          ],
        },
      ],
    ]);
  });

  it('a reading that completes after the call ended is not passed on', async () => {
    const { client, engine, platform, seen } = await connected();
    const media = platform.media;
    media.measure('volume', { userId: 'bob', volume: 40 });
    await engine.hangup();
    client.emit('onCallEnd', { callId: 'call-1', mediaType: 'Video', reason: 'hangup', userId: 'alice', totalTime: 3 });
    await Promise.resolve();
    expect(seen.filter(([n]) => n === E.USER_VOICE_VOLUME)).toEqual([]);
  });
});

describe('joining', () => {
  it('join opens media with the camera off, starts the call media, joins, and says the camera is off', async () => {
    const { client, platform, engine } = await signedIn('dave');
    client.replies.join = async () => void platform.log.push('join');
    await engine.join({ callId: 'g-call' });
    expect(platform.log).toEqual(['getUserMedia', 'media.start', 'join']);
    expect(platform.streams[0]!.getVideoTracks()[0]!.enabled).toBe(false);
    expect(client.argsOf('setMediaState')).toEqual([{ callId: 'g-call', camera: false }]);
    const seen = record(engine, ALL);
    client.emit('onCallBegin', {
      callId: 'g-call',
      callerId: 'alice',
      mediaType: 'Audio',
      info,
      members: [
        { userId: 'alice', status: 'Calling' },
        { userId: 'bob', status: 'Calling' },
        { userId: 'dave', status: 'Calling' },
      ],
    });
    expect(seen.map(([n, d]) => [n, d.userID ?? d.callId])).toEqual([
      [E.ON_CALL_BEGIN, 'g-call'],
      [E.USER_ENTER, 'alice'],
      [E.USER_ACCEPT, 'alice'],
      [E.USER_ENTER, 'bob'],
      [E.USER_ACCEPT, 'bob'],
    ]);
    // An audio call: the camera opened for a possible video call is released.
    expect(platform.streams[0]!.tracks.filter((t) => t.kind === 'video').every((t) => t.readyState === 'ended')).toBe(true);
  });

  it('joinInGroupCall joins a call of that group this device has seen, and refuses an unknown one', async () => {
    const { client, engine } = await signedIn('bob');
    client.emit('onCallReceived', {
      callId: 'gc1',
      callerId: 'alice',
      calleeIdList: ['bob', 'carol'],
      mediaType: 'Audio',
      info: { ...info, chatGroupId: 'team' },
    });
    await engine.reject();
    client.emit('onCallNotConnected', { callId: 'gc1', mediaType: 'Audio', reason: 'reject', userId: 'bob' });
    await engine.joinInGroupCall({ type: 1, groupID: 'team', roomID: 42, strRoomID: '' });
    expect(client.argsOf('join')).toEqual(['gc1']);
    await engine.hangup();
    await expect(engine.joinInGroupCall({ type: 1, groupID: 'other', roomID: 0, strRoomID: '' })).rejects.toMatchObject({ code: -1001 });
  });

  it('a refused join rejects with the mapped code and leaves no call behind', async () => {
    const { client, platform, engine } = await signedIn('eve');
    client.replies.join = async () => {
      throw { code: -1203, message: 'not a member' };
    };
    await expect(engine.join({ callId: 'x' })).rejects.toMatchObject({ code: -1, dialtoneCode: -1203 });
    expect(platform.media.stopped).toBe(true);
    await expect(engine.calls({ userIDList: ['bob'], type: 1 })).resolves.toMatchObject({ code: 0 });
  });
});

describe('a page that came back into its call (reload)', () => {
  /** bob's page signs in while he is in a connected call with alice. */
  async function reloaded() {
    const client = new FakeClient('bob');
    client.currentCall = {
      callId: 'c7',
      callerId: 'alice',
      mediaType: 'Video',
      info,
      status: 'Calling',
      members: [
        { userId: 'alice', status: 'Calling', camera: false },
        { userId: 'bob', status: 'Calling' },
      ],
      startTime: 1,
      acceptTime: 2,
    };
    const platform = new FakePlatform(client);
    const engine = new TUICallEngine({ SDKAppID: 1 }, platform);
    const seen = record(engine, ALL);
    await engine.login({ userID: 'bob', userSig: 'sig' });
    await until(() => seen.some(([n]) => n === E.ON_CALL_RECEIVED), 'the call ringing again');
    return { client, platform, engine, seen };
  }

  it('rings again (the UI enters a call only by answering); accept rejoins without accepting on the server', async () => {
    const { client, platform, engine, seen } = await reloaded();
    expect(seen.find(([n]) => n === E.ON_CALL_RECEIVED)![1]).toMatchObject({
      callId: 'c7',
      callerId: 'alice',
      calleeIdList: ['bob'],
      callMediaType: 2,
    });
    seen.length = 0;
    await engine.accept();
    expect(client.argsOf('accept')).toEqual([]);
    expect(platform.media.params).toMatchObject({ callId: 'c7', mediaType: 'Video', rejoin: true });
    expect(seen.map(([n]) => n)).toEqual([E.ON_CALL_BEGIN, E.USER_ENTER, E.USER_ACCEPT]);
    // alice's camera was off: her video stays unavailable when her media arrives.
    platform.media.params.onRemoteStream('alice', new FakeStream([new FakeTrack('audio'), new FakeTrack('video')]));
    expect(seen).toContainEqual([E.USER_AUDIO_AVAILABLE, { userID: 'alice', isAudioAvailable: true }]);
    expect(seen.filter(([n]) => n === E.USER_VIDEO_AVAILABLE)).toEqual([]);
  });

  it('declining it leaves the call (hangup, not reject)', async () => {
    const { client, engine } = await reloaded();
    await engine.reject();
    expect(client.argsOf('hangup')).toEqual(['c7']);
    expect(client.argsOf('reject')).toEqual([]);
  });
});

describe('session events', () => {
  it('onKickedOffline is KICKED_OUT and ends the session and the call', async () => {
    const { client, platform, engine, seen } = await connected();
    seen.length = 0;
    client.emit('onKickedOffline', {});
    expect(seen).toEqual([[E.KICKED_OUT, {}]]);
    expect(platform.media.stopped).toBe(true);
    await expect(engine.calls({ userIDList: ['bob'], type: 1 })).rejects.toMatchObject({ code: -1002 });
  });

  it('onUserSigExpired is onUserSigExpired', async () => {
    const { client, seen } = await connected();
    seen.length = 0;
    client.emit('onUserSigExpired', {});
    expect(seen).toEqual([[E.onUserSigExpired, {}]]);
  });

  it('a lost connection is an ERROR and ends the call for the UI', async () => {
    const { client, seen } = await connected();
    seen.length = 0;
    client.emit('onConnectionStateChanged', { state: 'reconnecting' });
    expect(seen).toEqual([]);
    client.emit('onConnectionStateChanged', { state: 'disconnected' });
    expect(seen.map(([n, d]) => [n, d.code ?? d.reason])).toEqual([
      [E.ERROR, -1002],
      [E.CALLING_END, 4],
    ]);
  });

  it('DEVICED_UPDATED lists devices when they change', async () => {
    const { platform, engine } = await signedIn('alice');
    platform.devices = [
      { deviceId: 'cam1', deviceName: 'Cam', label: 'Cam', groupId: 'g', kind: 'videoinput' },
      { deviceId: 'mic1', deviceName: 'Mic', label: 'Mic', groupId: 'g', kind: 'audioinput' },
    ];
    const seen = record(engine, [E.DEVICED_UPDATED]);
    platform.deviceListener!();
    await until(() => seen.length === 1, 'DEVICED_UPDATED');
    expect(seen[0]![1]).toEqual({
      cameraList: [platform.devices[0]],
      microphoneList: [platform.devices[1]],
      speakerList: [],
      currentCamera: platform.devices[0],
      currentMicrophone: platform.devices[1],
      currentSpeaker: {},
    });
  });
});

describe('listeners', () => {
  it('calls listeners with their context, off removes one, and a throwing listener harms no other', async () => {
    const { client, engine } = await signedIn('bob');
    const ctx = { seen: [] as unknown[] };
    function listener(this: typeof ctx, d: unknown) {
      this.seen.push(d);
    }
    engine.setLogLevel(4);
    engine.on(E.ON_CALL_RECEIVED, () => {
      throw new Error('listener bug');
    });
    engine.on(E.ON_CALL_RECEIVED, listener, ctx);
    client.emit('onCallReceived', { callId: 'c1', callerId: 'alice', calleeIdList: ['bob'], mediaType: 'Audio', info });
    engine.off(E.ON_CALL_RECEIVED, listener, ctx);
    client.emit('onCallNotConnected', { callId: 'c1', mediaType: 'Audio', reason: 'canceled', userId: 'alice' });
    client.emit('onCallReceived', { callId: 'c2', callerId: 'alice', calleeIdList: ['bob'], mediaType: 'Audio', info });
    expect(ctx.seen).toHaveLength(1);
  });
});
