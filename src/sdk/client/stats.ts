/**
 * Network quality for `CallMedia`'s `networkQuality` event: one grade per connection, on the
 * scale of TRTC (the reference product's media engine, which call UIs already draw), from what
 * `RTCPeerConnection.getStats()` reports. Pure: a report (and the counters of the previous one)
 * in, a grade out, so the thresholds are tested with fixtures rather than with a network.
 *
 * Three measures, each graded on its own against {@link QUALITY_THRESHOLDS}; the worst one is the
 * connection's quality:
 * - round-trip time: the selected ICE candidate pair's `currentRoundTripTime` (else the largest
 *   `remote-inbound-rtp` `roundTripTime`);
 * - packet loss: of the packets expected since the previous report, across every `inbound-rtp`
 *   stream, the share lost (`packetsLost` and `packetsReceived` deltas);
 * - jitter: the largest `inbound-rtp` `jitter`.
 *
 * This device's own uplink ({@link readUplink}) is graded the same way from what the other side
 * reports about the packets it receives from here (`remote-inbound-rtp`, i.e. RTCP receiver
 * reports): round-trip time, `fractionLost` and `jitter`.
 */

/** TRTC's network quality scale. */
export const NetworkQuality = {
  /** No measure yet (still connecting, or nothing reported). */
  Unknown: 0,
  Excellent: 1,
  Good: 2,
  Poor: 3,
  Bad: 4,
  VeryBad: 5,
  /** The connection failed or dropped, or no packet arrived since the previous report. */
  Down: 6,
} as const;
/** A grade of {@link NetworkQuality}: 0 unknown, 1 excellent … 5 very bad, 6 down. */
export type NetworkQuality = (typeof NetworkQuality)[keyof typeof NetworkQuality];

/**
 * The upper bounds of grades 1–4, per measure: a measure at or below `[0]` is excellent, at or
 * below `[1]` good, `[2]` poor, `[3]` bad, above `[3]` very bad.
 */
export const QUALITY_THRESHOLDS = {
  /** Round-trip time, ms. */
  rttMs: [100, 200, 300, 500],
  /** Packets lost, percent of those expected. */
  lossPercent: [1, 3, 8, 15],
  /** Inbound jitter, ms. */
  jitterMs: [20, 40, 60, 100],
} as const;

/** What one report says about a connection; a measure the report lacks is absent. */
export interface NetworkSample {
  /** Round-trip time, ms. */
  rttMs?: number;
  /** Packets lost since the previous report, percent of those expected. */
  lossPercent?: number;
  /** Largest inbound jitter, ms. */
  jitterMs?: number;
  /** Packets received since the previous report, over every inbound stream. */
  packetsReceived: number;
  /** Whether the report has any inbound RTP stream at all. */
  hasInbound: boolean;
}

/** Cumulative counters of each inbound stream (by stats id), kept between two reports. */
export type InboundCounters = ReadonlyMap<string, { packetsReceived: number; packetsLost: number }>;

/** One entry of an `RTCStatsReport` (`report.values()`), read loosely: browsers differ. */
export type StatsEntry = { id: string; type: string } & Record<string, unknown>;

/** `RTCPeerConnection.connectionState`. */
export type ConnectionState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * Reads a report: the sample, and the counters to give the next call as `previous` (empty on the
 * first call: the deltas then count from the connection's start).
 */
export function readStats(entries: Iterable<StatsEntry>, previous: InboundCounters): { sample: NetworkSample; counters: InboundCounters } {
  const all = [...entries];
  const byId = new Map(all.map((e) => [e.id, e]));

  // The pair ICE uses: the transport names it; Firefox marks it `selected`; else the nominated one.
  let pair: StatsEntry | undefined;
  for (const e of all) {
    if (e.type === 'transport' && typeof e.selectedCandidatePairId === 'string') pair ??= byId.get(e.selectedCandidatePairId);
  }
  pair ??= all.find((e) => e.type === 'candidate-pair' && e.selected === true);
  pair ??= all.find((e) => e.type === 'candidate-pair' && e.nominated === true && e.state === 'succeeded');
  let rtt = num(pair?.currentRoundTripTime);
  if (rtt === undefined) {
    for (const e of all) {
      const r = e.type === 'remote-inbound-rtp' ? num(e.roundTripTime) : undefined;
      if (r !== undefined) rtt = Math.max(rtt ?? 0, r);
    }
  }

  const counters = new Map<string, { packetsReceived: number; packetsLost: number }>();
  let received = 0;
  let lost = 0;
  let jitter: number | undefined;
  for (const e of all) {
    if (e.type !== 'inbound-rtp') continue;
    const now = { packetsReceived: num(e.packetsReceived) ?? 0, packetsLost: num(e.packetsLost) ?? 0 };
    const before = previous.get(e.id) ?? { packetsReceived: 0, packetsLost: 0 };
    counters.set(e.id, now);
    received += Math.max(0, now.packetsReceived - before.packetsReceived);
    // `packetsLost` goes down when late packets turn up: never count that as negative loss.
    lost += Math.max(0, now.packetsLost - before.packetsLost);
    const j = num(e.jitter);
    if (j !== undefined) jitter = Math.max(jitter ?? 0, j);
  }

  const sample: NetworkSample = { packetsReceived: received, hasInbound: counters.size > 0 };
  if (rtt !== undefined) sample.rttMs = rtt * 1000;
  if (received + lost > 0) sample.lossPercent = (lost / (received + lost)) * 100;
  if (jitter !== undefined) sample.jitterMs = jitter * 1000;
  return { sample, counters };
}

/**
 * What the other side says about the media this device sends on one connection: the largest
 * `remote-inbound-rtp` round-trip time, `fractionLost` (as percent) and jitter across the
 * streams sent. Without any `remote-inbound-rtp` (no receiver report yet) every measure is
 * absent, so the grade is unknown.
 */
export function readUplink(entries: Iterable<StatsEntry>): NetworkSample {
  let rtt: number | undefined;
  let loss: number | undefined;
  let jitter: number | undefined;
  const max = (a: number | undefined, b: number | undefined) => (b === undefined ? a : Math.max(a ?? 0, b));
  for (const e of entries) {
    if (e.type !== 'remote-inbound-rtp') continue;
    rtt = max(rtt, num(e.roundTripTime));
    loss = max(loss, num(e.fractionLost));
    jitter = max(jitter, num(e.jitter));
  }
  // Not an inbound measure: "nothing received" must not grade the uplink as down.
  const sample: NetworkSample = { packetsReceived: 0, hasInbound: false };
  if (rtt !== undefined) sample.rttMs = rtt * 1000;
  if (loss !== undefined) sample.lossPercent = loss * 100;
  if (jitter !== undefined) sample.jitterMs = jitter * 1000;
  return sample;
}

/**
 * This device's own quality from its connections' uplink grades: the worst known one (TRTC
 * reports one local quality, not one per member), unknown when none is known yet.
 */
export function worstKnown(grades: readonly NetworkQuality[]): NetworkQuality {
  const known = grades.filter((g) => g !== NetworkQuality.Unknown);
  return known.length === 0 ? NetworkQuality.Unknown : (Math.max(...known) as NetworkQuality);
}

/** The grade (1–5) of one measure against its thresholds. */
function gradeOf(value: number, bounds: readonly number[]): NetworkQuality {
  const i = bounds.findIndex((b) => value <= b);
  return (i === -1 ? NetworkQuality.VeryBad : i + 1) as NetworkQuality;
}

/**
 * The quality of a connection in `state` whose latest report gave `sample`: down when the
 * connection failed, dropped or closed, or received nothing since the previous report; unknown
 * while it connects or when the report has no measure; else the worst grade of its round-trip
 * time, loss and jitter ({@link QUALITY_THRESHOLDS}).
 */
export function gradeNetwork(state: ConnectionState, sample: NetworkSample | undefined): NetworkQuality {
  if (state === 'failed' || state === 'disconnected' || state === 'closed') return NetworkQuality.Down;
  if (state !== 'connected' || !sample) return NetworkQuality.Unknown;
  if (sample.hasInbound && sample.packetsReceived === 0) return NetworkQuality.Down;
  const grades: NetworkQuality[] = [];
  if (sample.rttMs !== undefined) grades.push(gradeOf(sample.rttMs, QUALITY_THRESHOLDS.rttMs));
  if (sample.lossPercent !== undefined) grades.push(gradeOf(sample.lossPercent, QUALITY_THRESHOLDS.lossPercent));
  if (sample.jitterMs !== undefined) grades.push(gradeOf(sample.jitterMs, QUALITY_THRESHOLDS.jitterMs));
  return grades.length === 0 ? NetworkQuality.Unknown : (Math.max(...grades) as NetworkQuality);
}
