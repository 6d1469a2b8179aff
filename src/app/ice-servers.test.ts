import { describe, expect, it } from 'vitest';
import { IceServerService } from './ice-servers.js';

const STUN = { urls: ['stun:stun.example.com:3478'] };
const TURN_URLS = ['turn:127.0.0.1:3478', 'turn:127.0.0.1:3478?transport=tcp'];
/** Unix ms at which credentials valid 21600 s expire at 1700000000 (the OpenSSL vector of auth/turn.test.ts). */
const NOW = (1_700_000_000 - 21_600) * 1000 + 999;

describe('IceServerService', () => {
  it('answers no servers and ttl 0 when nothing is configured', () => {
    expect(new IceServerService({ iceServers: [], clock: { now: () => NOW } }).forUser('alice')).toEqual({ iceServers: [], ttl: 0 });
  });

  it('gives the configured servers as they are, ttl 0: they do not expire', () => {
    const service = new IceServerService({ iceServers: [STUN], clock: { now: () => NOW } });
    const answer = service.forUser('alice');
    expect(answer).toEqual({ iceServers: [STUN], ttl: 0 });
    // A copy: a caller changing it changes nothing for the next user.
    answer.iceServers[0]!.urls.push('stun:x');
    expect(service.forUser('bob').iceServers).toEqual([STUN]);
  });

  it("adds the TURN server with the user's credentials, expiring ttl seconds after the clock's now", () => {
    const service = new IceServerService({
      iceServers: [STUN],
      turn: { urls: TURN_URLS, secret: 'north-wind-secret', ttlSeconds: 21_600 },
      clock: { now: () => NOW },
    });
    expect(service.forUser('alice')).toEqual({
      iceServers: [STUN, { urls: TURN_URLS, username: '1700000000:alice', credential: 'r/l6ttQtMIfbS2lfULS0mDRRNUg=' }],
      ttl: 21_600,
    });
  });
});
