/**
 * Voice volume for `CallMedia`'s `volume` event: how loud each member (and this device's own
 * microphone) is, on the 0–100 scale call UIs draw as a speaking indicator. The math is pure and
 * unit-tested; {@link VolumeMeter} reads the samples with Web Audio (one `AnalyserNode` per audio
 * track, nothing played out).
 *
 * The scale is logarithmic, as hearing is: a frame's RMS in dBFS, from {@link VOLUME_FLOOR_DB}
 * (silence, 0) to 0 dBFS (full scale, 100). A linear RMS would leave ordinary speech (about
 * -30 dBFS) near 3 and make the indicator useless.
 */

/** Level at and below which the volume is 0, in dBFS. */
export const VOLUME_FLOOR_DB = -60;

/** Largest window an `AnalyserNode` can hold, samples (its maximum `fftSize`). */
const MAX_WINDOW = 32_768;
/** Smallest window worth measuring, samples (about 43 ms at 48 kHz). */
const MIN_WINDOW = 2_048;

/** Root mean square of `samples` (each in [-1, 1]); 0 for none. */
export function rms(samples: ArrayLike<number>): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    sum += s * s;
  }
  return Math.sqrt(sum / samples.length);
}

/**
 * The 0–100 volume of a frame whose RMS is `value` (full scale 1): 0 at or below
 * {@link VOLUME_FLOOR_DB}, 100 at 0 dBFS and above, linear in dB between, rounded to an integer.
 */
export function volumeFromRms(value: number): number {
  if (!(value > 0)) return 0;
  const db = 20 * Math.log10(value);
  const volume = Math.round(((db - VOLUME_FLOOR_DB) / -VOLUME_FLOOR_DB) * 100);
  return Math.min(100, Math.max(0, volume));
}

/**
 * The analyser window, in samples, for a reading every `intervalMs` at `sampleRate` Hz: the
 * smallest power of two that covers the whole interval, so a short sound between two readings
 * is not missed, bounded to what an `AnalyserNode` allows (2048 … 32768).
 */
export function windowSize(intervalMs: number, sampleRate: number): number {
  const wanted = Math.ceil((intervalMs / 1000) * sampleRate);
  let size = MIN_WINDOW;
  while (size < wanted && size < MAX_WINDOW) size *= 2;
  return size;
}

/** One track being measured. */
interface Tap {
  track: MediaStreamTrack;
  source: MediaStreamAudioSourceNode;
  analyser: AnalyserNode;
  buffer: Float32Array<ArrayBuffer>;
  /** The muted player that makes Chromium deliver a remote track's audio to Web Audio. */
  player: HTMLAudioElement | undefined;
}

/**
 * Measures audio tracks with one `AudioContext`, created on first use. Nothing is connected to
 * the speakers: a track is only read. {@link VolumeMeter.close} releases the context.
 */
export class VolumeMeter {
  private context: AudioContext | undefined;
  private readonly taps = new Map<string, Tap>();

  /** @param intervalMs How often {@link VolumeMeter.read} is called, ms: sets the window. */
  constructor(private readonly intervalMs: number) {}

  /**
   * The volume (0–100) of `track`, measured under `key` (a user id), over the last window. A
   * new track under the same key replaces the old one's analyser. A track that has ended reads 0.
   * `remote`: the track comes from a peer connection. Chromium hands such a track's audio to Web
   * Audio only while a media element plays it, so a muted one is kept playing it here (silent:
   * the page's own player is what is heard).
   */
  read(key: string, track: MediaStreamTrack, remote = false): number {
    if (track.readyState === 'ended') {
      this.drop(key);
      return 0;
    }
    let tap = this.taps.get(key);
    if (tap && tap.track !== track) {
      this.drop(key);
      tap = undefined;
    }
    if (!tap) {
      this.context ??= new AudioContext();
      // A context made before the user touched the page may start suspended: ask to run.
      if (this.context.state === 'suspended') void this.context.resume().catch(() => undefined);
      const source = this.context.createMediaStreamSource(new MediaStream([track]));
      const analyser = this.context.createAnalyser();
      analyser.fftSize = windowSize(this.intervalMs, this.context.sampleRate);
      source.connect(analyser);
      let player: HTMLAudioElement | undefined;
      if (remote && typeof Audio !== 'undefined') {
        player = new Audio();
        player.muted = true;
        player.srcObject = new MediaStream([track]);
        void player.play().catch(() => undefined);
      }
      tap = { track, source, analyser, buffer: new Float32Array(analyser.fftSize), player };
      this.taps.set(key, tap);
    }
    tap.analyser.getFloatTimeDomainData(tap.buffer);
    return volumeFromRms(rms(tap.buffer));
  }

  /** Stops measuring the tracks of every key not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const key of [...this.taps.keys()]) if (!keep.has(key)) this.drop(key);
  }

  /** Stops measuring and closes the audio context. */
  close(): void {
    for (const key of [...this.taps.keys()]) this.drop(key);
    void this.context?.close().catch(() => undefined);
    this.context = undefined;
  }

  private drop(key: string): void {
    const tap = this.taps.get(key);
    if (!tap) return;
    tap.source.disconnect();
    if (tap.player) {
      tap.player.pause();
      tap.player.srcObject = null;
    }
    this.taps.delete(key);
  }
}
