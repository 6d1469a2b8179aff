/** `call_config` (SPEC §2.2, and the call policy of §5.2), through real HTTP, including persistence across a restart. */
import { afterEach, describe, expect, it } from 'vitest';
import { rest } from '../helpers/rest.js';
import { removeTestData, startServer, type TestServer } from '../helpers/server.js';

const started: TestServer[] = [];
/** A server whose data outlives it (a test may restart on it); removed after each test. */
async function server(dataDir?: string): Promise<TestServer> {
  const t = await startServer({ dataDir, keepDataDir: true });
  started.push(t);
  return t;
}
afterEach(async () => {
  const dataDirs = new Set(started.map((t) => t.dataDir));
  for (const t of started.splice(0)) await t.close().catch(() => undefined);
  for (const dir of dataDirs) await removeTestData(dir);
});

describe('set_callback / get_callback / delete_callback', () => {
  it('sets, reads back, replaces and deletes the configuration', async () => {
    const t = await server();
    expect(await rest(t, 'call_config/get_callback')).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 100301 });
    expect(
      await rest(t, 'call_config/set_callback', { Url: 'https://example.com/cb', CallbackCommandList: ['Call.CallbackAfterStartCall'] }),
    ).toMatchObject({ ErrorCode: 0 });
    expect((await rest(t, 'call_config/get_callback')).Response).toEqual({
      Url: 'https://example.com/cb',
      CallbackCommandList: ['Call.CallbackAfterStartCall'],
    });
    await rest(t, 'call_config/set_callback', {
      Url: 'http://127.0.0.1:9000/hook?x=1',
      CallbackCommandList: ['Call.CallbackAfterEndCall', 'Call.CallbackAfterMemberChanged', 'Call.CallbackAfterEndCall'],
    });
    expect((await rest(t, 'call_config/get_callback')).Response).toEqual({
      Url: 'http://127.0.0.1:9000/hook?x=1',
      CallbackCommandList: ['Call.CallbackAfterEndCall', 'Call.CallbackAfterMemberChanged'],
    });
    expect(await rest(t, 'call_config/delete_callback')).toMatchObject({ ErrorCode: 0 });
    expect(await rest(t, 'call_config/delete_callback')).toMatchObject({ ErrorCode: 0 });
    expect(await rest(t, 'call_config/get_callback')).toMatchObject({ ErrorCode: 100301 });
  });

  it.each([
    ['a relative Url', { Url: '/cb', CallbackCommandList: [] }, 'Url'],
    ['a non-http Url', { Url: 'ftp://example.com/cb', CallbackCommandList: [] }, 'Url'],
    ['a missing Url', { CallbackCommandList: [] }, 'Url'],
    ['an unknown command', { Url: 'https://example.com', CallbackCommandList: ['Call.CallbackBeforeStartCall'] }, 'CallbackCommandList'],
    [
      'a command list that is not an array',
      { Url: 'https://example.com', CallbackCommandList: 'Call.CallbackAfterEndCall' },
      'CallbackCommandList',
    ],
  ])('refuses %s with 100002 naming the field', async (_name, body, field) => {
    const t = await server();
    const answer = await rest(t, 'call_config/set_callback', body);
    expect(answer).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 100002 });
    expect(answer.ErrorInfo).toContain(field);
  });

  it('persists across a restart', async () => {
    const t1 = await server();
    await rest(t1, 'call_config/set_callback', { Url: 'https://example.com/cb', CallbackCommandList: ['Call.CallbackAfterEndCall'] });
    await rest(t1, 'call_config/set_callback_token', { Token: 'tok', IsTokenEnable: true });
    await t1.close();
    const t2 = await server(t1.dataDir);
    expect((await rest(t2, 'call_config/get_callback')).Response).toEqual({
      Url: 'https://example.com/cb',
      CallbackCommandList: ['Call.CallbackAfterEndCall'],
    });
    expect((await rest(t2, 'call_config/get_callback_token')).Response).toEqual({ Token: 'tok', IsTokenEnable: true });
  });
});

describe('callback token', () => {
  it('sets, reads, disables and deletes the token', async () => {
    const t = await server();
    expect(await rest(t, 'call_config/get_callback_token')).toMatchObject({ ErrorCode: 100301 });
    await rest(t, 'call_config/set_callback_token', { Token: 'xxxxyyyy', IsTokenEnable: true });
    expect((await rest(t, 'call_config/get_callback_token')).Response).toEqual({ Token: 'xxxxyyyy', IsTokenEnable: true });
    await rest(t, 'call_config/set_callback_token', { Token: 'xxxxyyyy', IsTokenEnable: false });
    expect((await rest(t, 'call_config/get_callback_token')).Response).toEqual({ Token: 'xxxxyyyy', IsTokenEnable: false });
    expect(await rest(t, 'call_config/delete_callback_token')).toMatchObject({ ErrorCode: 0 });
    expect(await rest(t, 'call_config/get_callback_token')).toMatchObject({ ErrorCode: 100301 });
  });

  it.each([
    ['an empty token', { Token: '', IsTokenEnable: true }],
    ['a token over 128 characters', { Token: 'x'.repeat(129), IsTokenEnable: true }],
    ['a missing IsTokenEnable', { Token: 'abc' }],
    ['a string IsTokenEnable', { Token: 'abc', IsTokenEnable: 'true' }],
  ])('refuses %s with 100002', async (_name, body) => {
    const t = await server();
    expect(await rest(t, 'call_config/set_callback_token', body)).toMatchObject({ ErrorCode: 100002 });
  });
});

describe('set_call_policy / get_call_policy', () => {
  it('is OpenGroupJoin false until set, then reads back what was set', async () => {
    const t = await server();
    expect(await rest(t, 'call_config/get_call_policy')).toMatchObject({ ErrorCode: 0, Response: { OpenGroupJoin: false } });
    expect(await rest(t, 'call_config/set_call_policy', { OpenGroupJoin: true })).toMatchObject({
      ErrorCode: 0,
      Response: { OpenGroupJoin: true },
    });
    expect((await rest(t, 'call_config/get_call_policy')).Response).toEqual({ OpenGroupJoin: true });
    await rest(t, 'call_config/set_call_policy', { OpenGroupJoin: false });
    expect((await rest(t, 'call_config/get_call_policy')).Response).toEqual({ OpenGroupJoin: false });
  });

  it.each([
    ['a missing OpenGroupJoin', {}],
    ['a string OpenGroupJoin', { OpenGroupJoin: 'true' }],
    ['a numeric OpenGroupJoin', { OpenGroupJoin: 1 }],
  ])('refuses %s with 100002 naming the field, and changes nothing', async (_name, body) => {
    const t = await server();
    await rest(t, 'call_config/set_call_policy', { OpenGroupJoin: true });
    const answer = await rest(t, 'call_config/set_call_policy', body);
    expect(answer).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 100002 });
    expect(answer.ErrorInfo).toContain('OpenGroupJoin');
    expect((await rest(t, 'call_config/get_call_policy')).Response).toEqual({ OpenGroupJoin: true });
  });

  it('persists across a restart', async () => {
    const t1 = await server();
    await rest(t1, 'call_config/set_call_policy', { OpenGroupJoin: true });
    await t1.close();
    const t2 = await server(t1.dataDir);
    expect((await rest(t2, 'call_config/get_call_policy')).Response).toEqual({ OpenGroupJoin: true });
  });
});

describe('isolation between apps', () => {
  it("never shows one app's configuration to another", async () => {
    const t = await server();
    await t.server.apps.put({ sdkAppId: 1400000123, secretKey: 'second', admins: ['administrator'] }, Date.now());
    const second = { ...t, sdkAppId: 1400000123, userSig: (u: string) => t.userSig(u, 1400000123, 'second') };
    await rest(t, 'call_config/set_callback', { Url: 'https://first.example/cb', CallbackCommandList: [] });
    await rest(t, 'call_config/set_callback_token', { Token: 'first', IsTokenEnable: true });
    expect(await rest(second, 'call_config/get_callback')).toMatchObject({ ErrorCode: 100301 });
    expect(await rest(second, 'call_config/get_callback_token')).toMatchObject({ ErrorCode: 100301 });
    await rest(second, 'call_config/delete_callback');
    expect((await rest(t, 'call_config/get_callback')).Response).toMatchObject({ Url: 'https://first.example/cb' });
  });

  it("never applies one app's call policy to another", async () => {
    const t = await server();
    await t.server.apps.put({ sdkAppId: 1400000123, secretKey: 'second', admins: ['administrator'] }, Date.now());
    const second = { ...t, sdkAppId: 1400000123, userSig: (u: string) => t.userSig(u, 1400000123, 'second') };
    await rest(t, 'call_config/set_call_policy', { OpenGroupJoin: true });
    expect((await rest(second, 'call_config/get_call_policy')).Response).toEqual({ OpenGroupJoin: false });
    await rest(second, 'call_config/set_call_policy', { OpenGroupJoin: false });
    expect((await rest(t, 'call_config/get_call_policy')).Response).toEqual({ OpenGroupJoin: true });
  });
});
