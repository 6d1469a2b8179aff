// A lean client of Dialtone's WebSocket protocol for load generation: requests with ids, events
// delivered to waiters or kept until asked for, and the time each event arrived.
import WebSocket from 'ws';
import { makeUserSig } from '../../dist/auth/usersig.js';

/** Source addresses on 127.0.0.0/8 used round-robin, so tens of thousands of sockets do not run out of ports. */
export const SOURCE_ADDRESSES = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);
let nextSource = 0;

export class SignallingClient {
  constructor(ws, userId) {
    this.ws = ws;
    this.userId = userId;
    this.nextId = 1;
    this.pending = new Map();
    this.waiters = [];
    this.events = [];
    ws.on('message', (data) => this.onFrame(data));
    // The SDK's heartbeat: without it the server drops a socket that sat unused for a while.
    this.heartbeat = setInterval(() => void this.request('ping'), 10_000);
    this.heartbeat.unref();
    ws.on('close', () => {
      this.closed = true;
      clearInterval(this.heartbeat);
      for (const [, p] of this.pending) p.resolve({ ok: false, code: 'closed' });
      this.pending.clear();
    });
  }

  /** Connects `userId` to `url` (http(s) base URL) as an app's user, from the next source address. */
  static connect(url, { sdkAppId, secretKey, userId, device, sourceAddress }) {
    const q = new URLSearchParams({
      sdkappid: String(sdkAppId),
      userid: userId,
      usersig: makeUserSig({ sdkAppId, secretKey, userId, expireSeconds: 86400 }),
      platform: 'Web',
      ...(device ? { device } : {}),
    });
    const localAddress = sourceAddress ?? SOURCE_ADDRESSES[nextSource++ % SOURCE_ADDRESSES.length];
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/ws?${q}`, { localAddress, perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new SignallingClient(ws, userId)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  onFrame(data) {
    const at = performance.now();
    const frame = JSON.parse(data.toString());
    if (frame.id !== undefined && frame.id !== null && this.pending.has(frame.id)) {
      const p = this.pending.get(frame.id);
      this.pending.delete(frame.id);
      p.resolve({ ...frame, at });
      return;
    }
    if (!frame.event) return;
    const i = this.waiters.findIndex((w) => w.name === frame.event && (!w.callId || w.callId === frame.data?.callId));
    if (i >= 0) this.waiters.splice(i, 1)[0].resolve({ ...frame, at });
    else if (this.events.length < 1000) this.events.push({ ...frame, at });
  }

  /**
   * Sends a request; resolves to the reply frame with `at`, the arrival time (performance.now()),
   * or to `{ ok: false, code: 'timeout' }` after `timeoutMs`, so a lost reply never stalls a run.
   */
  request(op, args = {}, timeoutMs = 15_000) {
    const id = this.nextId++;
    return new Promise((resolve) => {
      if (this.closed || this.ws.readyState !== WebSocket.OPEN) return resolve({ ok: false, code: 'closed' });
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, code: 'timeout' });
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
      });
      this.ws.send(JSON.stringify({ id, op, args }));
    });
  }

  /** Resolves with the next event `name` (of `callId`, when given), or undefined after `timeoutMs`. */
  event(name, callId, timeoutMs = 10_000) {
    const i = this.events.findIndex((e) => e.event === name && (!callId || e.data?.callId === callId));
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0]);
    return new Promise((resolve) => {
      const waiter = { name, callId, resolve: (e) => (clearTimeout(timer), resolve(e)) };
      const timer = setTimeout(() => {
        const k = this.waiters.indexOf(waiter);
        if (k >= 0) this.waiters.splice(k, 1);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Forgets events nobody waited for. */
  drain() {
    this.events.length = 0;
  }

  close() {
    clearInterval(this.heartbeat);
    this.ws.terminate();
  }
}

/**
 * Connects users `${prefix}0` … `${prefix}${n - 1}` to `url` (200 at a time); `urlOf(i)`, when
 * given, chooses each one's server instead.
 */
export async function connectMany(url, auth, prefix, n, urlOf = () => url) {
  const out = [];
  for (let i = 0; i < n; i += 200) {
    out.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(200, n - i) }, (_, k) =>
          SignallingClient.connect(urlOf(i + k), { ...auth, userId: `${prefix}${i + k}` }),
        ),
      )),
    );
  }
  return out;
}

/** Percentile of an ascending array. */
export function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** p50/p95/p99 (ms, 2 decimals) of unsorted samples. */
export function summary(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const r = (v) => Number(v.toFixed(2));
  return { p50: r(pct(s, 50)), p95: r(pct(s, 95)), p99: r(pct(s, 99)), n: s.length };
}
