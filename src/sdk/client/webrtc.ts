/**
 * WebRTC for a Dialtone call: one `RTCPeerConnection` per other member (a mesh, for groups up to
 * 4), negotiated through `signal`. Members already in the call offer to each newcomer (they hear
 * `onUserJoin`); the newcomer answers: exactly one side offers, so offers never collide. An
 * audio call asks for audio only.
 *
 * Camera and microphone switches both stop the local track and tell the server
 * (`setMediaState`), so the others can show an avatar rather than a black picture. A switch of
 * the call to audio (`onCallMediaTypeChanged`) releases the camera and stops sending video
 * without renegotiating; back to video, the camera is opened again and sent on the same
 * connections.
 */
import type { DialtoneClient } from './client.js';
import type { MediaType } from './types.js';

/** Messages the helper relays through `signal`. */
type SignalMessage = { kind: 'offer' | 'answer'; sdp: string } | { kind: 'ice'; candidate: RTCIceCandidateInit };

/** Options of {@link CallMedia}. */
export interface CallMediaOptions {
  client: DialtoneClient;
  callId: string;
  mediaType: MediaType;
  /** ICE servers. Default: none (host candidates, enough on one network). */
  iceServers?: RTCIceServer[];
  /** Called when a member's media arrives or changes. */
  onRemoteStream?: (userId: string, stream: MediaStream) => void;
  /** Called when a member's connection is closed. */
  onRemoteGone?: (userId: string) => void;
  /** A stream already opened (e.g. before dialing); default: opened by {@link CallMedia.start}. */
  localStream?: MediaStream;
}

/** Local and remote media of one call. */
export class CallMedia {
  /** This device's camera/microphone stream, once {@link CallMedia.start} resolved. */
  localStream: MediaStream | undefined;
  /** Remote streams by user id. */
  readonly remoteStreams = new Map<string, MediaStream>();
  private readonly peers = new Map<string, RTCPeerConnection>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly inbox = new Map<string, Promise<void>>();
  private type: MediaType;
  private cameraOn = true;
  private microphoneOn = true;

  constructor(private readonly opts: CallMediaOptions) {
    this.type = opts.mediaType;
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

  /** Opens the camera/microphone and starts answering and offering. */
  async start(): Promise<MediaStream> {
    this.localStream =
      this.opts.localStream ?? (await navigator.mediaDevices.getUserMedia({ audio: true, video: this.opts.mediaType === 'Video' }));
    const { client, callId } = this.opts;
    const onJoin = (e: { callId: string; userId: string }) => {
      if (e.callId === callId) void this.offerTo(e.userId);
    };
    const onLeave = (e: { callId: string; userId: string }) => {
      if (e.callId === callId) this.close(e.userId);
    };
    const onSignal = (e: { callId: string; fromUserId: string; data: unknown }) => {
      if (e.callId !== callId) return;
      // One peer's messages are handled in order: a candidate must wait for its offer.
      const prev = this.inbox.get(e.fromUserId) ?? Promise.resolve();
      this.inbox.set(
        e.fromUserId,
        prev.then(() => this.onSignal(e.fromUserId, e.data as SignalMessage)).catch(() => undefined),
      );
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
    return this.localStream;
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
   * Follows the call's media type. To audio: the camera is released and the video senders send
   * nothing. To video: the camera opens again and goes out on the connections' existing video
   * senders. A call that began as audio has none, so it stays without video here: adding them
   * needs a renegotiation this helper does not make yet.
   */
  private async switchTo(mediaType: MediaType): Promise<void> {
    if (mediaType === this.type) return;
    this.type = mediaType;
    const videoSenders = [...this.peers.values()].flatMap((pc) =>
      pc
        .getTransceivers()
        .filter((t) => t.receiver.track.kind === 'video' && t.currentDirection !== 'stopped')
        .map((t) => t.sender),
    );
    if (mediaType === 'Audio') {
      await Promise.all(videoSenders.map((s) => s.replaceTrack(null)));
      for (const t of this.localStream?.getVideoTracks() ?? []) {
        t.stop();
        this.localStream?.removeTrack(t);
      }
      return;
    }
    if (videoSenders.length === 0 || !this.localStream) return;
    const [track] = (await navigator.mediaDevices.getUserMedia({ video: true })).getVideoTracks();
    if (!track) return;
    if (this.type !== 'Video') {
      track.stop();
      return;
    }
    track.enabled = this.cameraOn;
    this.localStream.addTrack(track);
    await Promise.all(videoSenders.map((s) => s.replaceTrack(track)));
  }

  /** Closes every connection and releases the camera/microphone. */
  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    for (const userId of [...this.peers.keys()]) this.close(userId);
    for (const t of this.localStream?.getTracks() ?? []) t.stop();
  }

  private peer(userId: string): RTCPeerConnection {
    let pc = this.peers.get(userId);
    if (pc) return pc;
    pc = new RTCPeerConnection({ iceServers: this.opts.iceServers ?? [] });
    this.peers.set(userId, pc);
    for (const track of this.localStream?.getTracks() ?? []) pc.addTrack(track, this.localStream!);
    pc.onicecandidate = (e) => {
      if (e.candidate) void this.send(userId, { kind: 'ice', candidate: e.candidate.toJSON() });
    };
    pc.ontrack = (e) => {
      const stream = e.streams[0] ?? new MediaStream([e.track]);
      this.remoteStreams.set(userId, stream);
      this.opts.onRemoteStream?.(userId, stream);
    };
    return pc;
  }

  private async offerTo(userId: string): Promise<void> {
    const pc = this.peer(userId);
    await pc.setLocalDescription(await pc.createOffer());
    await this.send(userId, { kind: 'offer', sdp: pc.localDescription!.sdp });
  }

  private async onSignal(from: string, msg: SignalMessage): Promise<void> {
    const pc = this.peer(from);
    if (msg.kind === 'offer') {
      await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      await this.send(from, { kind: 'answer', sdp: pc.localDescription!.sdp });
    } else if (msg.kind === 'answer') {
      await pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
    } else if (msg.kind === 'ice') {
      await pc.addIceCandidate(msg.candidate).catch(() => undefined);
    }
  }

  private async send(userId: string, msg: SignalMessage): Promise<void> {
    await this.opts.client.signal(this.opts.callId, userId, msg).catch(() => undefined);
  }

  private close(userId: string): void {
    this.peers.get(userId)?.close();
    this.peers.delete(userId);
    this.remoteStreams.delete(userId);
    this.opts.onRemoteGone?.(userId);
  }
}
