/**
 * Network quality from `getStats`: the sample a report gives (round-trip time, loss since the
 * previous report, jitter) and its grade on TRTC's scale, with report fixtures shaped like
 * Chromium's and Firefox's.
 */
import { describe, expect, it } from 'vitest';
import {
  gradeNetwork,
  NetworkQuality,
  QUALITY_THRESHOLDS,
  readStats,
  readUplink,
  worstKnown,
  type NetworkSample,
  type StatsEntry,
} from './stats.js';

/** A Chromium-like report: the transport names the selected pair; audio and video inbound. */
function chromium(o: { rtt?: number; audio?: [number, number]; video?: [number, number]; jitter?: [number, number] }): StatsEntry[] {
  const [aRecv, aLost] = o.audio ?? [500, 0];
  const [vRecv, vLost] = o.video ?? [1200, 0];
  const [aJit, vJit] = o.jitter ?? [0.002, 0.004];
  return [
    { id: 'T01', type: 'transport', selectedCandidatePairId: 'CPsel', dtlsState: 'connected' },
    { id: 'CPold', type: 'candidate-pair', state: 'failed', nominated: false, currentRoundTripTime: 0.9 },
    { id: 'CPsel', type: 'candidate-pair', state: 'succeeded', nominated: true, currentRoundTripTime: o.rtt ?? 0.001 },
    { id: 'IT01A', type: 'inbound-rtp', kind: 'audio', packetsReceived: aRecv, packetsLost: aLost, jitter: aJit },
    { id: 'IT01V', type: 'inbound-rtp', kind: 'video', packetsReceived: vRecv, packetsLost: vLost, jitter: vJit },
    { id: 'RIA', type: 'remote-inbound-rtp', kind: 'audio', roundTripTime: 0.7 },
    { id: 'OT01A', type: 'outbound-rtp', kind: 'audio', packetsSent: 480 },
  ];
}

const sample = (s: Partial<NetworkSample>): NetworkSample => ({ packetsReceived: 100, hasInbound: true, ...s });

describe('network quality', () => {
  it('reads the selected pair, the loss since the previous report and the worst jitter', () => {
    const first = readStats(chromium({ rtt: 0.012, audio: [500, 0], video: [1000, 0], jitter: [0.003, 0.011] }), new Map());
    // The first report counts from the start of the connection.
    expect(first.sample).toEqual({ rttMs: 12, lossPercent: 0, jitterMs: 11, packetsReceived: 1500, hasInbound: true });
    // Then: 100 audio + 800 video received, 25 + 75 lost since the first report, 10% loss.
    const second = readStats(chromium({ rtt: 0.05, audio: [600, 25], video: [1800, 75], jitter: [0.02, 0.005] }), first.counters);
    expect(second.sample.packetsReceived).toBe(900);
    expect(second.sample.lossPercent).toBeCloseTo(10, 9);
    expect(second.sample.rttMs).toBeCloseTo(50, 9);
    expect(second.sample.jitterMs).toBeCloseTo(20, 9);
    expect(gradeNetwork('connected', second.sample)).toBe(NetworkQuality.Bad); // 10% loss: bad, whatever the rest
  });

  it('late packets that lower packetsLost never count as negative loss', () => {
    const first = readStats(chromium({ audio: [500, 10], video: [1000, 0] }), new Map());
    const second = readStats(chromium({ audio: [600, 4], video: [1100, 0] }), first.counters);
    expect(second.sample.lossPercent).toBe(0);
    expect(second.sample.packetsReceived).toBe(200);
  });

  it("falls back to Firefox's selected pair, then to remote-inbound-rtp round-trip times", () => {
    const firefox: StatsEntry[] = [
      { id: 'p1', type: 'candidate-pair', state: 'succeeded', nominated: true, selected: false, currentRoundTripTime: 0.4 },
      { id: 'p2', type: 'candidate-pair', state: 'succeeded', nominated: true, selected: true, currentRoundTripTime: 0.03 },
      { id: 'in', type: 'inbound-rtp', kind: 'audio', packetsReceived: 50, packetsLost: 0, jitter: 0.001 },
    ];
    expect(readStats(firefox, new Map()).sample.rttMs).toBeCloseTo(30, 9);
    const noPairRtt: StatsEntry[] = [
      { id: 'r1', type: 'remote-inbound-rtp', kind: 'audio', roundTripTime: 0.08 },
      { id: 'r2', type: 'remote-inbound-rtp', kind: 'video', roundTripTime: 0.12 },
    ];
    const s = readStats(noPairRtt, new Map()).sample;
    expect(s.rttMs).toBeCloseTo(120, 9);
    expect(s).toMatchObject({ hasInbound: false, packetsReceived: 0 });
    expect(s.lossPercent).toBeUndefined();
    expect(s.jitterMs).toBeUndefined();
  });

  it('a loopback call is excellent', () => {
    const { sample: s } = readStats(chromium({}), new Map());
    expect(gradeNetwork('connected', s)).toBe(NetworkQuality.Excellent);
  });

  it('each measure is graded on its own thresholds, and the worst one wins', () => {
    expect(QUALITY_THRESHOLDS).toEqual({ rttMs: [100, 200, 300, 500], lossPercent: [1, 3, 8, 15], jitterMs: [20, 40, 60, 100] });
    const cases: [Partial<NetworkSample>, NetworkQuality][] = [
      [{ rttMs: 100, lossPercent: 1, jitterMs: 20 }, NetworkQuality.Excellent], // bounds are inclusive
      [{ rttMs: 101, lossPercent: 0, jitterMs: 0 }, NetworkQuality.Good],
      [{ rttMs: 10, lossPercent: 2.5, jitterMs: 0 }, NetworkQuality.Good],
      [{ rttMs: 10, lossPercent: 0, jitterMs: 41 }, NetworkQuality.Poor],
      [{ rttMs: 250, lossPercent: 0, jitterMs: 0 }, NetworkQuality.Poor],
      [{ rttMs: 10, lossPercent: 8.1, jitterMs: 0 }, NetworkQuality.Bad],
      [{ rttMs: 480, lossPercent: 0, jitterMs: 0 }, NetworkQuality.Bad],
      [{ rttMs: 10, lossPercent: 0, jitterMs: 150 }, NetworkQuality.VeryBad],
      [{ rttMs: 900, lossPercent: 0, jitterMs: 0 }, NetworkQuality.VeryBad],
      [{ rttMs: 10, lossPercent: 30, jitterMs: 0 }, NetworkQuality.VeryBad],
      [{ rttMs: 150, lossPercent: 5, jitterMs: 90 }, NetworkQuality.Bad],
      [{ jitterMs: 30 }, NetworkQuality.Good], // a missing measure is left out
    ];
    for (const [s, grade] of cases) expect({ s, grade: gradeNetwork('connected', sample(s)) }).toEqual({ s, grade });
  });

  it('down when the connection failed, dropped or closed, or nothing arrived since the previous report', () => {
    const good = sample({ rttMs: 5, lossPercent: 0, jitterMs: 1 });
    expect(gradeNetwork('failed', good)).toBe(NetworkQuality.Down);
    expect(gradeNetwork('disconnected', good)).toBe(NetworkQuality.Down);
    expect(gradeNetwork('closed', undefined)).toBe(NetworkQuality.Down);
    const first = readStats(chromium({ audio: [500, 0], video: [1000, 0] }), new Map());
    const stalled = readStats(chromium({ audio: [500, 0], video: [1000, 0] }), first.counters);
    expect(gradeNetwork('connected', stalled.sample)).toBe(NetworkQuality.Down);
  });

  it('unknown while connecting, without a report, or when the report measures nothing', () => {
    expect(gradeNetwork('new', sample({ rttMs: 5 }))).toBe(NetworkQuality.Unknown);
    expect(gradeNetwork('connecting', sample({ rttMs: 5 }))).toBe(NetworkQuality.Unknown);
    expect(gradeNetwork('connected', undefined)).toBe(NetworkQuality.Unknown);
    expect(gradeNetwork('connected', readStats([], new Map()).sample)).toBe(NetworkQuality.Unknown);
  });

  it("grades this device's uplink from the other side's receiver reports", () => {
    const report: StatsEntry[] = [
      ...chromium({ rtt: 0.01 }),
      { id: 'RIV', type: 'remote-inbound-rtp', kind: 'video', roundTripTime: 0.02, fractionLost: 0.1, jitter: 0.005 },
      { id: 'RIA2', type: 'remote-inbound-rtp', kind: 'audio', roundTripTime: 0.015, fractionLost: 0.01, jitter: 0.03 },
    ];
    const up = readUplink(report);
    // The largest of each measure across the streams sent (the fixture's RIA has rtt 0.7 s).
    expect(up.rttMs).toBeCloseTo(700, 9);
    expect(up.lossPercent).toBeCloseTo(10, 9);
    expect(up.jitterMs).toBeCloseTo(30, 9);
    expect(gradeNetwork('connected', up)).toBe(NetworkQuality.VeryBad);
    const clean = readUplink([
      { id: 'R', type: 'remote-inbound-rtp', kind: 'audio', roundTripTime: 0.002, fractionLost: 0, jitter: 0.001 },
    ]);
    expect(gradeNetwork('connected', clean)).toBe(NetworkQuality.Excellent);
    // No receiver report yet: unknown, never "down" for lack of inbound packets.
    expect(gradeNetwork('connected', readUplink(chromium({}).filter((e) => e.type !== 'remote-inbound-rtp')))).toBe(NetworkQuality.Unknown);
  });

  it("this device's quality is the worst known uplink grade, unknown when none is known", () => {
    expect(worstKnown([NetworkQuality.Good, NetworkQuality.Unknown, NetworkQuality.Bad])).toBe(NetworkQuality.Bad);
    expect(worstKnown([NetworkQuality.Unknown, NetworkQuality.Unknown])).toBe(NetworkQuality.Unknown);
    expect(worstKnown([])).toBe(NetworkQuality.Unknown);
  });
});
