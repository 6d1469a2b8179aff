/** Hostile or unlucky peers cannot take the server down. */
import { connect as tcpConnect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../helpers/harness.js';
import { rest, restRaw } from '../helpers/rest.js';
import { waitFor } from '../helpers/wait.js';

let h: Harness;
beforeEach(async () => {
  h = await Harness.create();
});
afterEach(async () => {
  await h.close();
});

function rawSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = tcpConnect(Number(port), hostname, () => resolve(s));
    s.on('error', reject);
  });
}

async function alive(): Promise<void> {
  const res = await fetch(`${h.t.url}/healthz`);
  expect(res.status).toBe(200);
}

describe('the server survives', () => {
  it('a refused socket that then sends a broken frame', async () => {
    const s = await rawSocket(h.t.url);
    s.on('error', () => undefined);
    const key = Buffer.from('0123456789abcdef').toString('base64');
    s.write(
      `GET /v1/ws?sdkappid=${h.t.sdkAppId}&userid=x&usersig=garbage HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    await waitFor(() => got.includes('101'), 3000, 'the upgrade');
    // An unmasked client frame is a protocol error.
    s.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
    await waitFor(() => s.destroyed || s.readableEnded, 3000, 'the socket to be dropped');
    await alive();
  });

  it('an upgrade to another path that resets at once', async () => {
    for (let i = 0; i < 5; i++) {
      const s = await rawSocket(h.t.url);
      s.on('error', () => undefined);
      s.write('GET /elsewhere HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      s.resetAndDestroy();
    }
    await alive();
  });
});

describe('REST answers every /v4 path with the envelope', () => {
  it('HTTP 200 and 60009 for paths that are not /v4/{service}/{command}', async () => {
    for (const path of ['x', 'a/b/c']) {
      const res = await restRaw(h.t, path, '{}');
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 60009 });
    }
  });

  it('an empty page, not an error, for windows that hold nothing', async () => {
    const day = 24 * 3600;
    const now = Math.floor(h.clock.now() / 1000);
    expect((await rest(h.t, 'call_record_http_srv/get_record_by_filter', { EndTime: now - 8 * day })).Response).toEqual({
      TotalNum: 0,
      Page: 1,
      CallRecordList: [],
    });
    expect((await rest(h.t, 'call_record_http_srv/get_record_by_filter', { Page: 1_000_000 })).Response).toMatchObject({
      CallRecordList: [],
    });
    expect(await rest(h.t, 'call_record_http_srv/get_record_by_filter', { Page: 9e20 })).toMatchObject({ ErrorCode: 101002 });
  });
});

describe('a member whose in-call device drops while another device stays', () => {
  it('leaves as Offline after the expiry unless that device comes back', async () => {
    const alice = await h.user('alice');
    const phone = await h.user('bob', { device: 'phone' });
    await h.user('bob', { device: 'laptop' });
    const callId = await h.call(alice, ['bob']);
    await h.op(phone, 'accept', { callId });
    phone.ws.terminate();
    await phone.closed();
    await h.advance(31_000);
    expect(await h.ended(callId)).toEqual(['Start', 'MC:bob:Accept', 'MC:bob:Offline', 'End:Offline']);
  });
});

describe('a client flooding its socket', () => {
  it('is refused with 60007 beyond its budget, and nobody else notices', async () => {
    const flood = await h.user('mallory');
    const alice = await h.user('alice');
    await h.user('bob');
    for (let i = 0; i < 700; i++) flood.sendRaw(JSON.stringify({ id: i, op: 'ping' }));
    await waitFor(() => flood.replies.length >= 700, 5000, '700 replies');
    // The burst of 400 goes through (plus what refills while the frames arrive); the rest is refused.
    expect(flood.replies.filter((r) => r.ok).length).toBeGreaterThanOrEqual(400);
    expect(flood.replies.filter((r) => r.code === 60007).length).toBeGreaterThanOrEqual(150);
    const callId = await h.call(alice, ['bob']);
    expect(callId).toBeTruthy();
    await h.advance(2000);
    expect((await flood.request('ping')).ok).toBe(true);
  });
});
