import { describe, expect, it, vi, afterEach } from 'vitest';
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import vectors from '../../test/fixtures/vectors/usersig.json' with { type: 'json' };
import { computeSig, decodeUserSig, fromTencentBase64, makeUserSig, verifyUserSig } from './usersig.js';
import { isDialtoneError } from '../errors.js';

const require = createRequire(import.meta.url);
const TLSSigAPIv2 = require('tls-sig-api-v2') as {
  Api: new (
    sdkappid: number,
    key: string,
  ) => {
    genUserSig(userId: string, expire: number): string;
    _hmacsha256(identifier: string, time: number, expire: number, userbuf: string | null): string;
  };
};

function codeOf(result: unknown): number | undefined {
  return isDialtoneError(result) ? result.code : undefined;
}

describe('UserSig vectors from the reference implementation', () => {
  for (const v of vectors.vectors) {
    it(`computes sig byte for byte for ${v.identifier}@${v.sdkappid}`, () => {
      expect(computeSig(v.key, v.identifier, v.sdkappid, v.time, v.expire)).toBe(v.sig);
      const ours = decodeUserSig(
        makeUserSig({ sdkAppId: v.sdkappid, secretKey: v.key, userId: v.identifier, expireSeconds: v.expire, time: v.time }),
      );
      expect(ours).toMatchObject({ sig: v.sig });
    });

    it(`verifies the reference usersig for ${v.identifier}@${v.sdkappid}`, () => {
      const result = verifyUserSig({
        userSig: v.usersig,
        identifier: v.identifier,
        sdkAppId: v.sdkappid,
        secretKeyOf: (id) => (id === v.sdkappid ? v.key : undefined),
        now: v.time + 1,
      });
      expect(isDialtoneError(result)).toBe(false);
      expect(result).toMatchObject({ identifier: v.identifier, sdkAppId: v.sdkappid, time: v.time, expire: v.expire, sig: v.sig });
    });
  }
});

describe('UserSig verification errors, in the order of SPEC §1', () => {
  const key = 'secret-key';
  const sdkAppId = 1400000001;
  const time = 1_800_000_000;
  const good = makeUserSig({ sdkAppId, secretKey: key, userId: 'alice', expireSeconds: 3600, time });
  const base = {
    userSig: good,
    identifier: 'alice',
    sdkAppId,
    secretKeyOf: (id: number) => (id === sdkAppId ? key : undefined),
    now: time + 10,
  };

  it('accepts a valid UserSig', () => {
    expect(isDialtoneError(verifyUserSig(base))).toBe(false);
  });
  it('70003 for garbage', () => {
    expect(codeOf(verifyUserSig({ ...base, userSig: 'not!base64' }))).toBe(70003);
    expect(codeOf(verifyUserSig({ ...base, userSig: 'eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy' }))).toBe(70003);
    expect(codeOf(verifyUserSig({ ...base, userSig: 'aGVsbG8_' }))).toBe(70003);
  });
  it('70003 when a field is missing or of the wrong type', () => {
    const doc = JSON.parse(inflateSync(fromTencentBase64(good)!).toString());
    delete doc['TLS.sig'];
    const { deflateSync } = require('node:zlib') as typeof import('node:zlib');
    const broken = deflateSync(Buffer.from(JSON.stringify(doc)))
      .toString('base64')
      .replace(/\+/g, '*')
      .replace(/\//g, '-')
      .replace(/=/g, '_');
    expect(codeOf(verifyUserSig({ ...base, userSig: broken }))).toBe(70003);
  });
  it('70002 for an empty UserSig', () => {
    expect(codeOf(verifyUserSig({ ...base, userSig: '' }))).toBe(70002);
  });
  it('70013 when the identifier differs from the claimed user', () => {
    expect(codeOf(verifyUserSig({ ...base, identifier: 'bob' }))).toBe(70013);
  });
  it('70014 when the sdkappid differs', () => {
    expect(codeOf(verifyUserSig({ ...base, sdkAppId: sdkAppId + 1 }))).toBe(70014);
  });
  it('70009 when signed with another key', () => {
    const forged = makeUserSig({ sdkAppId, secretKey: 'wrong-key', userId: 'alice', expireSeconds: 3600, time });
    expect(codeOf(verifyUserSig({ ...base, userSig: forged }))).toBe(70009);
  });
  it('70001 when now is past time + expire, and not at the boundary', () => {
    expect(isDialtoneError(verifyUserSig({ ...base, now: time + 3600 }))).toBe(false);
    expect(codeOf(verifyUserSig({ ...base, now: time + 3601 }))).toBe(70001);
  });
  it('70020 for an unknown SDKAppID', () => {
    expect(codeOf(verifyUserSig({ ...base, secretKeyOf: () => undefined }))).toBe(70020);
  });
});

describe('interop with the tls-sig-api-v2 package', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('accepts UserSigs made by tls-sig-api-v2', () => {
    const api = new TLSSigAPIv2.Api(1400000002, 'interop-key');
    const userSig = api.genUserSig('carol', 86400);
    const result = verifyUserSig({
      userSig,
      identifier: 'carol',
      sdkAppId: 1400000002,
      secretKeyOf: () => 'interop-key',
      now: Math.floor(Date.now() / 1000),
    });
    expect(isDialtoneError(result)).toBe(false);
  });

  it('produces the same UserSig string as tls-sig-api-v2 at the same instant', () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    const api = new TLSSigAPIv2.Api(1400000000, vectors.vectors[0]!.key);
    const theirs = api.genUserSig('xiaojun', 15552000);
    const ours = makeUserSig({ sdkAppId: 1400000000, secretKey: vectors.vectors[0]!.key, userId: 'xiaojun', expireSeconds: 15552000 });
    expect(ours).toBe(theirs);
    expect(ours).toBe(vectors.vectors[0]!.usersig);
  });

  it('Dialtone UserSigs verify by the package algorithm', () => {
    const ours = makeUserSig({ sdkAppId: 1400000003, secretKey: 'k3', userId: 'dave', expireSeconds: 600 });
    const doc = decodeUserSig(ours);
    if (isDialtoneError(doc)) throw doc;
    const api = new TLSSigAPIv2.Api(1400000003, 'k3');
    expect(api._hmacsha256('dave', doc.time, doc.expire, null)).toBe(doc.sig);
  });
});
