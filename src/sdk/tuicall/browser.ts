/**
 * The engine stand-in's browser side: a `DialtoneClient` for signalling, a `CallMedia` per call,
 * `getUserMedia` and the device list, remote video drawn into the elements the UI names (by id)
 * and remote audio played through detached `<audio>` elements, as Tencent's engine does (the UI
 * gives no element for audio). Those elements are the call's outputs (`CallMedia.addOutput`), so
 * the speaker is chosen by `CallMedia.setSpeaker`.
 */
import { DialtoneClient } from '../client/client.js';
import { CallMedia } from '../client/webrtc.js';
import type { EngineClient, EngineClientEventName, EnginePlatform, RenderOptions, StreamLike } from './ports.js';

/** The real client behind each adapter, for `CallMedia`, which takes a `DialtoneClient`. */
const clients = new WeakMap<EngineClient, DialtoneClient>();

/**
 * A `DialtoneClient` as an {@link EngineClient}. The media-state ops and events (SPEC §4) are
 * used when the client has them.
 */
export function fromDialtoneClient(client: DialtoneClient): EngineClient {
  const c = client as DialtoneClient & {
    setMediaState?: (p: { callId: string; camera?: boolean; microphone?: boolean }) => Promise<unknown>;
    switchMediaType?: (p: { callId: string; mediaType: 'Audio' | 'Video' }) => Promise<unknown>;
  };
  // The client's typed `on`/`off` know the events of its own version; the engine's names are a superset.
  const untyped = client as unknown as {
    on(e: string, h: (d: unknown) => void): unknown;
    off(e: string, h: (d: unknown) => void): unknown;
  };
  const adapter: EngineClient = {
    get userId() {
      return client.userId;
    },
    get currentCall() {
      return client.currentCall as EngineClient['currentCall'];
    },
    calls: (p) => client.calls(p),
    accept: (id) => client.accept(id),
    reject: (id) => client.reject(id),
    ignore: (id) => client.ignore(id),
    hangup: (id) => client.hangup(id),
    inviteUser: (id, list, o) => client.inviteUser(id, list, o),
    join: (id) => client.join(id),
    ...(typeof c.setMediaState === 'function' ? { setMediaState: async (p) => void (await c.setMediaState!(p)) } : {}),
    ...(typeof c.switchMediaType === 'function' ? { switchMediaType: async (p) => void (await c.switchMediaType!(p)) } : {}),
    on: (e: EngineClientEventName, h) => untyped.on(e, h as (d: unknown) => void),
    off: (e: EngineClientEventName, h) => untyped.off(e, h as (d: unknown) => void),
    destroy: () => client.destroy(),
  };
  clients.set(adapter, client);
  return adapter;
}

function mediaDevices(): MediaDevices {
  const md = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined;
  if (!md) {
    const err = new Error('navigator.mediaDevices is unavailable: open the page over https or on localhost');
    err.name = 'NotSupportedError';
    throw err;
  }
  return md;
}

const VIDEO_MARK = 'data-dialtone-video';

/** Applies `options` to a video element. */
function style(video: HTMLVideoElement, options: RenderOptions): void {
  const transforms: string[] = [];
  if (options.mirror) transforms.push('scaleX(-1)');
  if (options.rotation) transforms.push(`rotate(${options.rotation}deg)`);
  video.style.objectFit = options.objectFit ?? 'cover';
  video.style.transform = transforms.join(' ');
}

/** The platform of a browser page. */
export function browserPlatform(): EnginePlatform {
  const audios = new Map<string, { element: HTMLAudioElement; release: () => void }>();
  let muted = false;
  /** The speaker chosen, for the next call's media when chosen between calls. */
  let speaker: string | undefined;
  /** The media of the call in progress (one at a time, as the engine keeps one call). */
  let media: CallMedia | undefined;

  return {
    async connect(p) {
      const client = await DialtoneClient.init({
        server: p.server,
        sdkAppId: p.sdkAppId,
        userId: p.userId,
        userSig: p.userSig,
        platform: 'Web',
        ...(p.device !== undefined ? { device: p.device } : {}),
      });
      return fromDialtoneClient(client);
    },
    async getUserMedia(constraints) {
      return (await mediaDevices().getUserMedia(constraints)) as unknown as StreamLike;
    },
    async enumerateDevices() {
      const list = await mediaDevices().enumerateDevices();
      return list
        .filter((d) => d.kind === 'videoinput' || d.kind === 'audioinput' || d.kind === 'audiooutput')
        .map((d) => ({ deviceId: d.deviceId, deviceName: d.label, label: d.label, groupId: d.groupId, kind: d.kind }));
    },
    onDeviceChange(listener) {
      const md = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined;
      if (!md?.addEventListener) return () => undefined;
      md.addEventListener('devicechange', listener);
      return () => md.removeEventListener('devicechange', listener);
    },
    createCallMedia(client, p) {
      const raw = clients.get(client);
      if (!raw) throw new Error('createCallMedia needs a client made by connect');
      const created = new CallMedia({
        client: raw,
        callId: p.callId,
        mediaType: p.mediaType,
        localStream: p.localStream as unknown as MediaStream,
        ...(p.iceServers ? { iceServers: p.iceServers } : {}),
        ...(p.rejoin ? { rejoin: true } : {}),
        onRemoteStream: (userId, stream) => p.onRemoteStream(userId, stream as unknown as StreamLike),
        onRemoteGone: (userId) => p.onRemoteGone(userId),
      });
      media = created;
      // No element yet: this only records the choice, which the call's outputs then take.
      if (speaker !== undefined) void created.setSpeaker(speaker).catch(() => undefined);
      // The engine ends a call's media only through `stop`: that is when it stops being current.
      const stop = created.stop.bind(created);
      created.stop = () => {
        if (media === created) media = undefined;
        stop();
      };
      return created;
    },
    renderVideo(domId, stream, options) {
      const el = document.getElementById(domId);
      if (!el) return false;
      let video: HTMLVideoElement | null;
      if (el instanceof HTMLVideoElement) video = el;
      else {
        video = el.querySelector<HTMLVideoElement>(`video[${VIDEO_MARK}]`);
        if (!video) {
          video = document.createElement('video');
          video.setAttribute(VIDEO_MARK, '');
          Object.assign(video.style, { position: 'absolute', top: '0', left: '0', width: '100%', height: '100%' });
          el.appendChild(video);
        }
      }
      // Audio plays through its own element; a video element never doubles it.
      video.muted = true;
      video.autoplay = true;
      video.playsInline = true;
      style(video, options);
      const src = stream as unknown as MediaStream;
      if (video.srcObject !== src) video.srcObject = src;
      void video.play().catch(() => undefined);
      return true;
    },
    clearVideo(domId) {
      const el = typeof document !== 'undefined' ? document.getElementById(domId) : null;
      if (!el) return;
      if (el instanceof HTMLVideoElement) el.srcObject = null;
      else for (const v of el.querySelectorAll<HTMLVideoElement>(`video[${VIDEO_MARK}]`)) v.remove();
    },
    playAudio(userId, stream) {
      let audio = audios.get(userId);
      if (!audio) {
        const element = new Audio();
        element.autoplay = true;
        audio = { element, release: media?.addOutput(element) ?? (() => undefined) };
        audios.set(userId, audio);
      }
      audio.element.muted = muted;
      const src = stream as unknown as MediaStream;
      if (audio.element.srcObject !== src) audio.element.srcObject = src;
      void audio.element.play().catch(() => undefined);
    },
    stopAudio(userId) {
      const audio = audios.get(userId);
      if (!audio) return;
      audio.element.pause();
      audio.element.srcObject = null;
      audio.release();
      audios.delete(userId);
    },
    muteAudio(mute) {
      muted = mute;
      for (const a of audios.values()) a.element.muted = mute;
    },
    async setSpeaker(deviceId) {
      if (media) {
        const done = await media.setSpeaker(deviceId);
        if (done) speaker = deviceId;
        return done;
      }
      // Between calls: kept for the next call's media, where the browser can choose at all.
      const proto = typeof HTMLMediaElement !== 'undefined' ? (HTMLMediaElement.prototype as { setSinkId?: unknown }) : {};
      if (typeof proto.setSinkId !== 'function') return false;
      speaker = deviceId;
      return true;
    },
    origin() {
      const o = typeof location !== 'undefined' ? location.origin : undefined;
      return o && o !== 'null' ? o : undefined;
    },
  };
}
