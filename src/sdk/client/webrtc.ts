/**
 * WebRTC for a Dialtone call: one `RTCPeerConnection` per other member (a mesh, for groups up to
 * 4), negotiated through `signal`. Members already in the call offer to each newcomer (they hear
 * `onUserJoin`); the newcomer answers. That side stays the offerer of the connection for its
 * whole life, renegotiations included, so offers never collide. An audio call asks for audio
 * only.
 *
 * Camera and microphone switches both stop the local track and tell the server
 * (`setMediaState`), so the others can show an avatar rather than a black picture. A switch of
 * the call to audio (`onCallMediaTypeChanged`) releases the camera and stops sending video
 * without renegotiating; back to video, the camera is opened again and sent on the same
 * connections. A call that began as audio has no video on its connections yet: once its camera
 * is open, the offerer adds a video transceiver and offers again. The answerer (both hear the
 * event, so its camera opens at the same time) puts its camera on the offered transceiver if it
 * is open, so the answer carries video back; if its camera is ready before any offer came, or
 * only after it answered, it asks the offerer for a new offer (`renegotiate`). A new offer waits
 * for the answer to the previous one (one negotiation at a time per connection).
 *
 * Device changes replace the track on every sender (`RTCRtpSender.replaceTrack`): no
 * renegotiation, the others keep receiving on the same stream. Volume and network quality are
 * measured only while a page listens for them (volume.ts, stats.ts); devices.ts lists devices.
 */
import type { DialtoneClient } from './client.js';
import { enumerateDevices, mediaDevices, watchDevices, type DeviceList } from './devices.js';
import { Emitter } from './emitter.js';
import { connectionStateOf, IceServerFeed } from './ice.js';
import { gradeNetwork, readStats, readUplink, worstKnown, type InboundCounters, type NetworkQuality, type StatsEntry } from './stats.js';
import type { MediaType } from './types.js';
import { VolumeMeter } from './volume.js';

/** Messages the helper relays through `signal`. */
type SignalMessage =
  | { kind: 'offer' | 'answer'; sdp: string }
  | { kind: 'ice'; candidate: RTCIceCandidateInit }
  /**
   * From the answering side: its media changed in a way only a new offer can carry, or
   * (`iceRestart`) its connection failed and needs new ICE candidates.
   */
  | { kind: 'renegotiate'; iceRestart?: boolean }
  /** From a member whose page came back into the call (a reload): drop the old connection and offer afresh. */
  | { kind: 'restart' };

/** Default of {@link CallMediaOptions.volumeIntervalMs}, ms. */
export const DEFAULT_VOLUME_INTERVAL_MS = 500;
/** Default of {@link CallMediaOptions.networkQualityIntervalMs}, ms. */
export const DEFAULT_NETWORK_QUALITY_INTERVAL_MS = 2000;
/** Default of {@link CallMediaOptions.iceRestartDelayMs}, ms. */
export const DEFAULT_ICE_RESTART_DELAY_MS = 3000;

/** Options of {@link CallMedia}. */
export interface CallMediaOptions {
  client: DialtoneClient;
  callId: string;
  mediaType: MediaType;
  /**
   * STUN/TURN servers; given, they replace the server's. Default: the server's (`getIceServers`,
   * SPEC §4.1), fetched by {@link CallMedia.start} and again before their credentials expire.
   */
  iceServers?: RTCIceServer[];
  /** `relay` uses TURN servers only (no direct or STUN path); passed to `RTCPeerConnection`. Default `all`. */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** Called when a member's media arrives or changes. */
  onRemoteStream?: (userId: string, stream: MediaStream) => void;
  /** Called when a member's connection is closed. */
  onRemoteGone?: (userId: string) => void;
  /** A stream already opened (e.g. before dialing); default: opened by {@link CallMedia.start}. */
  localStream?: MediaStream;
  /** How often `volume` events come while listened to, ms. Default 500. */
  volumeIntervalMs?: number;
  /** How often `networkQuality` events come while listened to, ms. Default 2000. */
  networkQualityIntervalMs?: number;
  /**
   * This device is coming back into a call it was already in (its page reloaded, or it signed in
   * again): every member in the call is asked to drop its old connection to this user and offer
   * a new one. Set it when resuming from `client.currentCall` after `init`. Default false.
   */
  rejoin?: boolean;
  /**
   * How long a connection may stay `disconnected` before its ICE is restarted, ms (a `failed`
   * one restarts at once). Default 3000.
   */
  iceRestartDelayMs?: number;
}

/** Events of {@link CallMedia} (`media.on(name, handler)`). */
export interface CallMediaEvents {
  /**
   * How loud a member is, 0 (silence, or -60 dBFS and below) to 100 (full scale), logarithmic:
   * every remote member with audio and this user (`userId` = the client's own) once per interval
   * (`volumeIntervalMs`, default 500 ms), all of one reading back to back.
   */
  volume: { userId: string; volume: number };
  /**
   * The quality of the connection to a member, once per interval (`networkQualityIntervalMs`,
   * default 2 s): 0 unknown, 1 excellent, 2 good, 3 poor, 4 bad, 5 very bad, 6 down (TRTC's scale;
   * thresholds in stats.ts and docs/CLIENT.md). After the members' grades of one reading comes
   * this device's own (`userId` = the client's own): its uplink, the worst of what the members'
   * receiver reports say about the media sent to them.
   */
  networkQuality: { userId: string; quality: NetworkQuality };
  /** A camera, microphone or speaker was plugged in or out: the new list. */
  devicechange: DeviceList;
  /**
   * A member's connection changed state (its `RTCPeerConnection.connectionState`): `connected`,
   * or `disconnected`/`failed` while the network is away (ICE restarts by itself: a page shows
   * "reconnecting…"), `closed` when the member left or came back on a new connection. Also
   * `failed` when the connection gathered no candidate at all, so nothing can connect (with
   * `iceTransportPolicy: 'relay'`: every TURN server unreachable or refusing its credentials),
   * where the browser itself stays `new`.
   */
  connectionState: { userId: string; state: RTCPeerConnectionState };
  /**
   * A STUN or TURN server failed for a member's connection (the browser's `icecandidateerror`):
   * `errorCode` 401 the TURN server refused the credentials, 701 it could not be reached, …
   * With other paths left the call may still connect: see `connectionState`.
   */
  iceError: { userId: string; url: string; errorCode: number; errorText: string };
}

/** `HTMLMediaElement` where the browser can choose its output device. */
type SinkElement = HTMLMediaElement & { setSinkId(id: string): Promise<void>; sinkId: string };

/** Local and remote media of one call. */
export class CallMedia {
  /** This device's camera/microphone stream, once {@link CallMedia.start} resolved. */
  localStream: MediaStream | undefined;
  /** Remote streams by user id. */
  readonly remoteStreams = new Map<string, MediaStream>();
  private readonly peers = new Map<string, RTCPeerConnection>();
  /** Peers this side offered to: it makes every offer of that connection. */
  private readonly offerer = new Set<string>();
  /** Peers owed a new offer once the answer to the current one arrives. */
  private readonly offerAgain = new Set<string>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly inbox = new Map<string, Promise<void>>();
  private readonly events = new Emitter<CallMediaEvents>((event, count) => this.listenersChanged(event, count));
  private type: MediaType;
  private cameraOn = true;
  private microphoneOn = true;
  private stopped = false;
  /** Devices chosen before there was a track to switch. */
  private wantedCamera: string | undefined;
  private wantedMicrophone: string | undefined;
  private speaker: string | undefined;
  private readonly outputs = new Set<HTMLMediaElement>();
  private volumeTimer: ReturnType<typeof setInterval> | undefined;
  private meter: VolumeMeter | undefined;
  private qualityTimer: ReturnType<typeof setInterval> | undefined;
  private qualityBusy = false;
  private readonly counters = new Map<string, InboundCounters>();
  private stopWatchingDevices: (() => void) | undefined;
  /** Connections `disconnected` for now, with the timer that restarts their ICE. */
  private readonly iceRestarts = new Map<string, ReturnType<typeof setTimeout>>();
  /** The server's ICE servers, when none were given. */
  private ice: IceServerFeed | undefined;
  /** Settles once the first ICE servers are known: signalling work waits for it. */
  private iceReady: Promise<void> = Promise.resolve();

  constructor(private readonly opts: CallMediaOptions) {
    this.type = opts.mediaType;
  }

  /** This machine's cameras, microphones and speakers (labels need camera or microphone access first). */
  static enumerateDevices(): Promise<DeviceList> {
    return enumerateDevices();
  }

  /** The call's media type now: as given, then as `onCallMediaTypeChanged` says. */
  get mediaType(): MediaType {
    return this.type;
  }

  /** Whether this device's camera is on (as last set with {@link CallMedia.setCamera}). */
  get camera(): boolean {
    return this.cameraOn;
  }

  /** Whether this device's microphone is on (as last set with {@link CallMedia.setMicrophone}). */
  get microphone(): boolean {
    return this.microphoneOn;
  }

  /** The camera in use (or chosen for when video starts): its `deviceId`; undefined for the browser's default. */
  get cameraId(): string | undefined {
    return this.localStream?.getVideoTracks()[0]?.getSettings().deviceId ?? this.wantedCamera;
  }

  /** The microphone in use (or chosen for when the stream opens): its `deviceId`; undefined for the browser's default. */
  get microphoneId(): string | undefined {
    return this.localStream?.getAudioTracks()[0]?.getSettings().deviceId ?? this.wantedMicrophone;
  }

  /** The speaker set with {@link CallMedia.setSpeaker}; undefined for the browser's default output. */
  get speakerId(): string | undefined {
    return this.speaker;
  }

  /** Listens for `volume`, `networkQuality` or `devicechange`; measuring runs only while listened to. */
  on<E extends keyof CallMediaEvents>(event: E, handler: (data: CallMediaEvents[E]) => void): this {
    this.events.on(event, handler);
    return this;
  }

  /** Stops listening; the last listener gone, that measuring stops. */
  off<E extends keyof CallMediaEvents>(event: E, handler: (data: CallMediaEvents[E]) => void): this {
    this.events.off(event, handler);
    return this;
  }

  /**
   * Opens the camera/microphone (the devices chosen so far, else the defaults), fetches the
   * server's ICE servers (unless given), and starts answering and offering.
   */
  async start(): Promise<MediaStream> {
    this.localStream =
      this.opts.localStream ??
      (await mediaDevices().getUserMedia({
        audio: this.wantedMicrophone ? { deviceId: { exact: this.wantedMicrophone } } : true,
        video: this.opts.mediaType === 'Video' ? this.videoConstraints() : false,
      }));
    // Connections wait for the server's ICE servers (the first offer or answer already gathers
    // through them), but the events that make them are listened to at once: none is missed.
    this.iceReady = this.startIce();
    const { client, callId } = this.opts;
    const onJoin = (e: { callId: string; userId: string }) => {
      if (e.callId === callId) void this.enqueue(e.userId, () => this.offerTo(e.userId));
    };
    const onLeave = (e: { callId: string; userId: string }) => {
      if (e.callId === callId) this.close(e.userId);
    };
    const onSignal = (e: { callId: string; fromUserId: string; data: unknown }) => {
      // One peer's messages are handled in order: a candidate must wait for its offer.
      if (e.callId === callId) void this.enqueue(e.fromUserId, () => this.onSignal(e.fromUserId, e.data as SignalMessage));
    };
    const onEnd = (e: { callId: string }) => {
      if (e.callId === callId) this.stop();
    };
    const onTypeChanged = (e: { callId: string; newMediaType: MediaType }) => {
      if (e.callId === callId) void this.switchTo(e.newMediaType).catch(() => undefined);
    };
    client
      .on('onUserJoin', onJoin)
      .on('onUserLeave', onLeave)
      .on('onSignal', onSignal)
      .on('onCallEnd', onEnd)
      .on('onCallNotConnected', onEnd)
      .on('onCallMediaTypeChanged', onTypeChanged);
    this.unsubscribe.push(() => {
      client
        .off('onUserJoin', onJoin)
        .off('onUserLeave', onLeave)
        .off('onSignal', onSignal)
        .off('onCallEnd', onEnd)
        .off('onCallNotConnected', onEnd)
        .off('onCallMediaTypeChanged', onTypeChanged);
    });
    if (this.opts.rejoin) {
      const call = client.currentCall;
      const others = call?.callId === callId ? call.members.filter((m) => m.status === 'Calling' && m.userId !== client.userId) : [];
      for (const m of others) void this.send(m.userId, { kind: 'restart' });
    }
    await this.iceReady;
    return this.localStream;
  }

  /** The state of the connection to `userId` (`RTCPeerConnection.connectionState`); undefined when there is none. */
  connectionState(userId: string): RTCPeerConnectionState | undefined {
    return this.peers.get(userId)?.connectionState;
  }

  /**
   * Mutes or unmutes the microphone: the local track stops or resumes at once, and the other
   * members are told (`setMediaState`, they hear `onUserAudioAvailable`). Resolves once the server
   * has it; rejects with its error (the track is switched either way).
   */
  async setMicrophone(on: boolean): Promise<void> {
    this.microphoneOn = on;
    for (const t of this.localStream?.getAudioTracks() ?? []) t.enabled = on;
    await this.opts.client.setMediaState({ callId: this.opts.callId, microphone: on });
  }

  /**
   * Turns the camera on or off: the local track stops or resumes at once, and the other members
   * are told (`setMediaState`, they hear `onUserVideoAvailable`). Resolves once the server has it;
   * rejects with its error (the track is switched either way).
   */
  async setCamera(on: boolean): Promise<void> {
    this.cameraOn = on;
    for (const t of this.localStream?.getVideoTracks() ?? []) t.enabled = on;
    await this.opts.client.setMediaState({ callId: this.opts.callId, camera: on });
  }

  /**
   * Sends the camera `deviceId` (from {@link CallMedia.enumerateDevices}) instead of the current
   * one, without renegotiating: the new camera opens with the old track's constraints, replaces
   * it on every connection, and the old one is stopped; a camera turned off stays off. Without a
   * camera track (an audio call, or before {@link CallMedia.start}) the choice is kept for when
   * the camera opens, and it resolves with `undefined`. Resolves with the new track; rejects with
   * the browser's error (`NotFoundError`, `NotReadableError`, …), the old camera still sending.
   */
  async switchCamera(deviceId: string): Promise<MediaStreamTrack | undefined> {
    this.wantedCamera = deviceId;
    const old = this.localStream?.getVideoTracks()[0];
    if (!old) return undefined;
    const stream = await mediaDevices().getUserMedia({ video: { ...otherConstraints(old), deviceId: { exact: deviceId } } });
    const track = stream.getVideoTracks()[0]!;
    await this.replaceOrStop(track);
    return track;
  }

  /**
   * Sends the microphone `deviceId` instead of the current one, without renegotiating, as
   * {@link CallMedia.switchCamera} does for the camera (a muted microphone stays muted). Before
   * {@link CallMedia.start} the choice is kept for when the stream opens, resolving `undefined`.
   */
  async switchMicrophone(deviceId: string): Promise<MediaStreamTrack | undefined> {
    this.wantedMicrophone = deviceId;
    const old = this.localStream?.getAudioTracks()[0];
    if (!old) return undefined;
    const stream = await mediaDevices().getUserMedia({ audio: { ...otherConstraints(old), deviceId: { exact: deviceId } } });
    const track = stream.getAudioTracks()[0]!;
    await this.replaceOrStop(track);
    return track;
  }

  /**
   * Puts `track` (from any source: another device, a canvas, a screen) in place of the local
   * track of its kind, on every connection, without renegotiating. The old track is stopped and
   * leaves {@link CallMedia.localStream}, which gains the new one; the new track takes the
   * camera's or microphone's on/off state (`enabled`). A video track in an audio call is refused
   * (`Error`): switch the call to video first. Rejects with the browser's error when a
   * connection cannot take the track; the old track then stays.
   */
  async replaceTrack(track: MediaStreamTrack): Promise<void> {
    const stream = this.localStream;
    if (!stream) throw new Error('CallMedia.replaceTrack: call start() first');
    const kind = track.kind === 'video' ? 'video' : 'audio';
    if (kind === 'video' && this.type !== 'Video') throw new Error('CallMedia.replaceTrack: this is an audio call, it sends no video');
    const old = kind === 'video' ? stream.getVideoTracks()[0] : stream.getAudioTracks()[0];
    if (old === track) return;
    track.enabled = kind === 'video' ? this.cameraOn : this.microphoneOn;
    if (!old && kind === 'video') {
      stream.addTrack(track);
      await this.sendVideo(track);
      return;
    }
    const senders = [...this.peers.values()].flatMap((pc) => pc.getSenders().filter((s) => s.track === old));
    await Promise.all(senders.map((s) => s.replaceTrack(track)));
    if (old) {
      stream.removeTrack(old);
      old.stop();
    }
    stream.addTrack(track);
  }

  /**
   * Plays the call's remote audio through the output `deviceId` (a speaker of
   * {@link CallMedia.enumerateDevices}; `''` is the browser's default), with
   * `HTMLMediaElement.setSinkId`: on every element added with {@link CallMedia.addOutput} and on
   * every `<audio>`/`<video>` of the page whose `srcObject` is one of {@link CallMedia.remoteStreams},
   * now and as members' streams arrive. Resolves `true` once they play there; `false`, changing
   * nothing, where the browser cannot choose an output (it has no `HTMLMediaElement.setSinkId`);
   * rejects with an `Error` naming the device when the browser refuses it (an unknown device:
   * `cause` is the browser's `NotFoundError`). Volume metering plays nothing, so no
   * `AudioContext` output needs moving.
   */
  async setSpeaker(deviceId: string): Promise<boolean> {
    if (!sinkSupported()) return false;
    try {
      await Promise.all(this.outputElements().map((el) => el.setSinkId(deviceId)));
    } catch (err) {
      throw new Error(`CallMedia.setSpeaker: cannot play through device ${JSON.stringify(deviceId)}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    this.speaker = deviceId;
    return true;
  }

  /**
   * Adds an element that plays this call's audio (e.g. `new Audio()` a page keeps out of the
   * document) to those {@link CallMedia.setSpeaker} moves; the speaker already chosen applies to
   * it at once. Returns the function that removes it again.
   */
  addOutput(element: HTMLMediaElement): () => void {
    this.outputs.add(element);
    if (this.speaker !== undefined && sinkSupported()) void (element as SinkElement).setSinkId(this.speaker).catch(() => undefined);
    return () => this.outputs.delete(element);
  }

  /**
   * Follows the call's media type. To audio: the camera is released and the video senders send
   * nothing. To video: the camera opens again and goes out on the connections' existing video
   * senders; a connection without any (a call that began as audio) is renegotiated.
   */
  private async switchTo(mediaType: MediaType): Promise<void> {
    if (mediaType === this.type) return;
    this.type = mediaType;
    if (mediaType === 'Audio') {
      const videoSenders = [...this.peers.values()].flatMap((pc) => videoTransceivers(pc).map((t) => t.sender));
      await Promise.all(videoSenders.map((s) => s.replaceTrack(null)));
      for (const t of this.localStream?.getVideoTracks() ?? []) {
        t.stop();
        this.localStream?.removeTrack(t);
      }
      return;
    }
    if (!this.localStream || this.stopped) return;
    // A camera the page already added (e.g. a preview opened for the switch) is the one sent.
    const existing = liveVideo(this.localStream);
    const track = existing ?? (await this.openCamera());
    if (!track) return;
    if (this.type !== 'Video' || this.stopped || !this.localStream || (!existing && liveVideo(this.localStream))) {
      // Switched back meanwhile, stopped, or the page added its camera while this one opened.
      if (!existing) track.stop();
      return;
    }
    track.enabled = this.cameraOn;
    if (!existing) this.localStream.addTrack(track);
    await this.sendVideo(track);
  }

  /** The camera for a switch to video (the one chosen, else the default); undefined when it cannot open. */
  private async openCamera(): Promise<MediaStreamTrack | undefined> {
    try {
      return (await mediaDevices().getUserMedia({ video: this.videoConstraints() })).getVideoTracks()[0];
    } catch {
      return undefined;
    }
  }

  private videoConstraints(): MediaTrackConstraints | true {
    return this.wantedCamera ? { deviceId: { exact: this.wantedCamera } } : true;
  }

  /**
   * Sends `track`, new in the local stream, to every member, one connection's negotiation step
   * at a time: on the connection's video transceivers where it has some, else (on connections
   * this side offers) on a new one. When that needs a new offer, the offerer makes it; the
   * answerer asks its offerer for one (`renegotiate`), so offers still come from one side only.
   */
  private async sendVideo(track: MediaStreamTrack): Promise<void> {
    await Promise.all(
      [...this.peers].map(([userId, pc]) =>
        this.enqueue(userId, async () => {
          if (this.peers.get(userId) !== pc || this.localStream?.getVideoTracks()[0] !== track) return;
          const transceivers = videoTransceivers(pc);
          let renegotiate = transceivers.map((t) => this.attachVideo(t)).some(Boolean);
          await Promise.all(transceivers.map((t) => (t.sender.track === track ? undefined : t.sender.replaceTrack(track))));
          if (transceivers.length === 0) {
            if (this.offerer.has(userId)) pc.addTransceiver(track, { direction: 'sendrecv', streams: [this.localStream] });
            renegotiate = true;
          }
          if (!renegotiate) return;
          if (this.offerer.has(userId)) await this.offerWhenStable(userId);
          else await this.send(userId, { kind: 'renegotiate' });
        }),
      ),
    );
  }

  /**
   * Makes `t` send (direction and stream, not the track itself: callers replace it); true when
   * its direction changed, which needs a new offer.
   */
  private attachVideo(t: RTCRtpTransceiver): boolean {
    if (this.localStream) t.sender.setStreams?.(this.localStream);
    if (t.direction === 'recvonly') t.direction = 'sendrecv';
    else if (t.direction === 'inactive') t.direction = 'sendonly';
    else return false;
    return true;
  }

  /** Replaces the local track of `track`'s kind; stops `track` when that fails or the call's media stopped meanwhile. */
  private async replaceOrStop(track: MediaStreamTrack): Promise<void> {
    if (this.stopped) {
      track.stop();
      return;
    }
    try {
      await this.replaceTrack(track);
    } catch (err) {
      track.stop();
      throw err;
    }
  }

  /** Closes every connection, stops measuring and releases the camera/microphone. */
  stop(): void {
    this.stopped = true;
    this.ice?.stop();
    for (const u of this.unsubscribe.splice(0)) u();
    this.stopVolume();
    this.stopQuality();
    this.stopWatchingDevices?.();
    this.stopWatchingDevices = undefined;
    for (const userId of [...this.peers.keys()]) this.close(userId);
    for (const t of this.localStream?.getTracks() ?? []) t.stop();
  }

  private peer(userId: string): RTCPeerConnection {
    let pc = this.peers.get(userId);
    if (pc) return pc;
    pc = new RTCPeerConnection(this.rtcConfiguration());
    this.peers.set(userId, pc);
    this.watchConnection(userId, pc);
    for (const track of this.localStream?.getTracks() ?? []) pc.addTrack(track, this.localStream!);
    pc.onicecandidate = (e) => {
      if (e.candidate) void this.send(userId, { kind: 'ice', candidate: e.candidate.toJSON() });
    };
    pc.ontrack = (e) => {
      let stream = e.streams[0];
      if (!stream) {
        // A track sent without a stream: it joins the member's stream, which a page already shows.
        stream = this.remoteStreams.get(userId) ?? new MediaStream();
        if (!stream.getTracks().includes(e.track)) stream.addTrack(e.track);
      }
      this.remoteStreams.set(userId, stream);
      this.opts.onRemoteStream?.(userId, stream);
      if (this.speaker !== undefined) void this.setSpeaker(this.speaker).catch(() => undefined);
    };
    return pc;
  }

  /** What a new connection is made with: the ICE servers given, else the server's as last fetched. */
  private rtcConfiguration(): RTCConfiguration {
    const policy = this.opts.iceTransportPolicy;
    return { iceServers: this.opts.iceServers ?? this.ice?.current ?? [], ...(policy ? { iceTransportPolicy: policy } : {}) };
  }

  /**
   * Emits `connectionState` on each change of the member's connection (and restarts its ICE when
   * it fails or stays down), and `iceError` for its servers' errors.
   */
  private watchConnection(userId: string, pc: RTCPeerConnection): void {
    let gathered = 0;
    let reported = pc.connectionState;
    const report = () => {
      const state = connectionStateOf(pc.connectionState, pc.iceGatheringState, gathered);
      if (state === reported || this.peers.get(userId) !== pc) return;
      reported = state;
      this.events.emit('connectionState', { userId, state });
    };
    pc.addEventListener('icecandidate', (e) => {
      if (e.candidate?.candidate) gathered++;
    });
    pc.addEventListener('icegatheringstatechange', () => {
      // An ICE restart gathers afresh.
      if (pc.iceGatheringState === 'gathering') gathered = 0;
      report();
    });
    pc.addEventListener('connectionstatechange', () => {
      report();
      if (this.peers.get(userId) === pc) this.watchIce(userId, pc);
    });
    pc.addEventListener('icecandidateerror', (e) => {
      const { url, errorCode, errorText } = e as RTCPeerConnectionIceErrorEvent;
      if (this.peers.get(userId) === pc) this.events.emit('iceError', { userId, url, errorCode, errorText });
    });
  }

  /** Starts fetching the server's ICE servers, unless the options give some; resolves after the first answer. */
  private async startIce(): Promise<void> {
    if (this.opts.iceServers || this.ice || this.stopped) return;
    this.ice = new IceServerFeed(
      () => this.opts.client.getIceServers(),
      (iceServers) => {
        // Fresh credentials for what connections gather from now on (an ICE restart).
        for (const pc of this.peers.values()) {
          try {
            pc.setConfiguration({ ...pc.getConfiguration(), iceServers });
          } catch {
            // A closed connection takes no configuration.
          }
        }
      },
    );
    await this.ice.start();
  }

  /**
   * Offers to `userId`. In a video call, a connection without video (it began as audio, and this
   * side has no camera yet) offers to receive it, so the other side can send its camera at once.
   */
  private async offerTo(userId: string): Promise<void> {
    const pc = this.peer(userId);
    this.offerer.add(userId);
    if (this.type === 'Video' && videoTransceivers(pc).length === 0) pc.addTransceiver('video', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    await this.send(userId, { kind: 'offer', sdp: pc.localDescription!.sdp });
  }

  /** Offers now if no offer of this connection awaits its answer, else right after that answer. Runs inside {@link CallMedia.enqueue}. */
  private async offerWhenStable(userId: string): Promise<void> {
    const pc = this.peers.get(userId);
    if (!pc) return;
    if (pc.signalingState === 'stable') await this.offerTo(userId);
    else this.offerAgain.add(userId);
  }

  /**
   * ICE of a connection that failed restarts at once; of one `disconnected` (the network may come
   * back by itself) after {@link CallMediaOptions.iceRestartDelayMs}. While it stays down the
   * restart is tried again at that interval: an offer sent while the other side was offline too
   * is lost, and only a new one brings the connection back.
   */
  private watchIce(userId: string, pc: RTCPeerConnection): void {
    const state = pc.connectionState;
    if (state !== 'disconnected' && state !== 'failed') {
      clearTimeout(this.iceRestarts.get(userId));
      this.iceRestarts.delete(userId);
      return;
    }
    if (state === 'failed') void this.enqueue(userId, () => this.restartIce(userId, pc));
    this.retryIce(userId, pc);
  }

  /** Restarts ICE after the delay if the connection is still down then, and again after that. */
  private retryIce(userId: string, pc: RTCPeerConnection): void {
    if (this.iceRestarts.has(userId)) return;
    const timer = setTimeout(() => {
      this.iceRestarts.delete(userId);
      const state = pc.connectionState;
      if (this.stopped || this.peers.get(userId) !== pc || (state !== 'disconnected' && state !== 'failed')) return;
      void this.enqueue(userId, () => this.restartIce(userId, pc));
      this.retryIce(userId, pc);
    }, this.opts.iceRestartDelayMs ?? DEFAULT_ICE_RESTART_DELAY_MS);
    this.iceRestarts.set(userId, timer);
  }

  /**
   * New ICE candidates for a connection: the side that offers restarts, dropping an offer of its
   * own still unanswered (it may have been lost); the other side asks it to.
   */
  private async restartIce(userId: string, pc: RTCPeerConnection): Promise<void> {
    if (this.stopped || this.peers.get(userId) !== pc) return;
    if (!this.offerer.has(userId)) {
      await this.send(userId, { kind: 'renegotiate', iceRestart: true });
      return;
    }
    // Already reconnecting (or never down here): a restart now would only start the checks over.
    if (pc.connectionState !== 'failed' && pc.connectionState !== 'disconnected') return;
    if (pc.signalingState === 'have-local-offer') await pc.setLocalDescription({ type: 'rollback' });
    this.offerAgain.delete(userId);
    pc.restartIce();
    await this.offerTo(userId);
  }

  private async onSignal(from: string, msg: SignalMessage): Promise<void> {
    if (msg.kind === 'restart') {
      // The member's page is new: its old connection is dead. This side offers the new one.
      this.close(from);
      if (!this.stopped) await this.offerTo(from);
      return;
    }
    const pc = this.peer(from);
    if (msg.kind === 'offer') {
      await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
      await this.answerVideo(pc);
      await pc.setLocalDescription(await pc.createAnswer());
      await this.send(from, { kind: 'answer', sdp: pc.localDescription!.sdp });
    } else if (msg.kind === 'answer') {
      await pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
      if (this.offerAgain.delete(from)) await this.offerTo(from);
    } else if (msg.kind === 'renegotiate') {
      if (!this.offerer.has(from)) return;
      if (msg.iceRestart) await this.restartIce(from, pc);
      else await this.offerWhenStable(from);
    } else if (msg.kind === 'ice') {
      await pc.addIceCandidate(msg.candidate).catch(() => undefined);
    }
  }

  /**
   * In a video call, an offer may bring a video transceiver that sends nothing yet (the other
   * side renegotiated after a switch from audio): the camera, if open, goes on it, so the answer
   * carries video back. A camera still opening is not waited for: the answer goes at once (the
   * other side's video flows sooner), and the camera asks for a new offer when it is ready.
   */
  private async answerVideo(pc: RTCPeerConnection): Promise<void> {
    if (this.type !== 'Video') return;
    const idle = videoTransceivers(pc).filter((t) => !t.sender.track);
    if (idle.length === 0) return;
    const track = this.localStream?.getVideoTracks()[0];
    if (!track || track.readyState === 'ended') return;
    for (const t of idle) this.attachVideo(t);
    await Promise.all(idle.map((t) => (t.sender.track ? undefined : t.sender.replaceTrack(track))));
  }

  /** Runs `task` after the peer's earlier signalling work: one negotiation step at a time. */
  private enqueue(userId: string, task: () => Promise<void>): Promise<void> {
    const next = (this.inbox.get(userId) ?? Promise.resolve())
      .then(() => this.iceReady)
      .then(task)
      .catch(() => undefined);
    this.inbox.set(userId, next);
    return next;
  }

  private async send(userId: string, msg: SignalMessage): Promise<void> {
    await this.opts.client.signal(this.opts.callId, userId, msg).catch(() => undefined);
  }

  private close(userId: string): void {
    clearTimeout(this.iceRestarts.get(userId));
    this.iceRestarts.delete(userId);
    const pc = this.peers.get(userId);
    if (pc) this.events.emit('connectionState', { userId, state: 'closed' });
    pc?.close();
    this.peers.delete(userId);
    this.offerer.delete(userId);
    this.offerAgain.delete(userId);
    this.counters.delete(userId);
    this.remoteStreams.delete(userId);
    this.opts.onRemoteGone?.(userId);
  }

  /** Elements {@link CallMedia.setSpeaker} moves: those added, and the page's players of remote streams. */
  private outputElements(): SinkElement[] {
    const out = new Set<HTMLMediaElement>(this.outputs);
    if (typeof document !== 'undefined') {
      const streams = new Set<MediaProvider>(this.remoteStreams.values());
      for (const el of document.querySelectorAll<HTMLMediaElement>('audio, video'))
        if (el.srcObject && streams.has(el.srcObject)) out.add(el);
    }
    return [...out] as SinkElement[];
  }

  /** Starts or stops a measure as its first listener comes or its last goes. */
  private listenersChanged(event: keyof CallMediaEvents, count: number): void {
    const on = count > 0 && !this.stopped;
    if (event === 'volume') {
      if (on && !this.volumeTimer) {
        const interval = this.opts.volumeIntervalMs ?? DEFAULT_VOLUME_INTERVAL_MS;
        this.meter = new VolumeMeter(interval);
        this.volumeTimer = setInterval(() => this.readVolumes(), interval);
      } else if (!on) this.stopVolume();
    } else if (event === 'networkQuality') {
      if (on && !this.qualityTimer) {
        this.qualityTimer = setInterval(
          () => void this.readQuality(),
          this.opts.networkQualityIntervalMs ?? DEFAULT_NETWORK_QUALITY_INTERVAL_MS,
        );
      } else if (!on) this.stopQuality();
    } else if (event === 'devicechange') {
      if (on && !this.stopWatchingDevices) this.stopWatchingDevices = watchDevices((list) => this.events.emit('devicechange', list));
      else if (!on) {
        this.stopWatchingDevices?.();
        this.stopWatchingDevices = undefined;
      }
    }
  }

  private readVolumes(): void {
    const meter = this.meter;
    if (!meter) return;
    const readings: CallMediaEvents['volume'][] = [];
    const keep = new Set<string>();
    const read = (key: string, userId: string, track: MediaStreamTrack | undefined, remote: boolean) => {
      if (!track) return;
      keep.add(key);
      let volume = 0;
      try {
        volume = meter.read(key, track, remote);
      } catch {
        // No Web Audio here (or the track cannot be tapped): silence.
      }
      readings.push({ userId, volume });
    };
    const local = this.localStream?.getAudioTracks()[0];
    // A muted microphone reads 0 without waiting for the analyser's window to drain.
    if (local && !this.microphoneOn) readings.push({ userId: this.opts.client.userId, volume: 0 });
    else read('local', this.opts.client.userId, local, false);
    for (const [userId, stream] of this.remoteStreams) read(`remote:${userId}`, userId, stream.getAudioTracks()[0], true);
    meter.retain(keep);
    for (const r of readings) this.events.emit('volume', r);
  }

  private async readQuality(): Promise<void> {
    if (this.qualityBusy) return;
    this.qualityBusy = true;
    try {
      const grades = await Promise.all(
        [...this.peers].map(async ([userId, pc]) => {
          let sample;
          let uplink;
          try {
            const entries = [...((await pc.getStats()).values() as Iterable<StatsEntry>)];
            const read = readStats(entries, this.counters.get(userId) ?? new Map());
            this.counters.set(userId, read.counters);
            sample = read.sample;
            uplink = readUplink(entries);
          } catch {
            // A closed connection has no stats: graded by its state alone.
          }
          return { userId, pc, quality: gradeNetwork(pc.connectionState, sample), uplink: gradeNetwork(pc.connectionState, uplink) };
        }),
      );
      const current = grades.filter((g) => this.peers.get(g.userId) === g.pc);
      if (!this.qualityTimer || current.length === 0) return;
      for (const g of current) this.events.emit('networkQuality', { userId: g.userId, quality: g.quality });
      this.events.emit('networkQuality', { userId: this.opts.client.userId, quality: worstKnown(current.map((g) => g.uplink)) });
    } finally {
      this.qualityBusy = false;
    }
  }

  private stopVolume(): void {
    if (this.volumeTimer) clearInterval(this.volumeTimer);
    this.volumeTimer = undefined;
    this.meter?.close();
    this.meter = undefined;
  }

  private stopQuality(): void {
    if (this.qualityTimer) clearInterval(this.qualityTimer);
    this.qualityTimer = undefined;
  }
}

/** The stream's first video track that has not ended. */
function liveVideo(stream: MediaStream): MediaStreamTrack | undefined {
  return stream.getVideoTracks().find((t) => t.readyState !== 'ended');
}

/** The connection's video transceivers still in use. */
function videoTransceivers(pc: RTCPeerConnection): RTCRtpTransceiver[] {
  return pc
    .getTransceivers()
    .filter((t) => t.receiver.track.kind === 'video' && t.currentDirection !== 'stopped' && t.direction !== 'stopped');
}

/** A track's constraints but those that pick the device, which a switch replaces. */
function otherConstraints(track: MediaStreamTrack): MediaTrackConstraints {
  const { deviceId: _deviceId, groupId: _groupId, facingMode: _facingMode, ...rest } = track.getConstraints();
  return rest;
}

/** Whether this browser can choose a media element's output device. */
function sinkSupported(): boolean {
  return typeof HTMLMediaElement !== 'undefined' && typeof (HTMLMediaElement.prototype as Partial<SinkElement>).setSinkId === 'function';
}
