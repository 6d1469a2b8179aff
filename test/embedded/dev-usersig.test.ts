/** `/dev/usersig` (dev mode) answers only requests addressed to a loopback name: no DNS rebinding. */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startServer({ config: { dev: true } });
});
afterAll(async () => {
  await t.close();
});

/** GETs `/dev/usersig?userId=alice` from the test server with this Host header. */
function devUserSig(host: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const { hostname, port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path: '/dev/usersig?userId=alice', headers: { host } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('/dev/usersig', () => {
  it.each(['evil.example', 'evil.example:8080', 'localhost.evil.example', '192.168.1.5:8080'])(
    'refuses Host %s with 403 and a sentence, and no UserSig',
    async (host) => {
      const { status, body } = await devUserSig(host);
      expect(status).toBe(403);
      expect(body).toMatchObject({ ActionStatus: 'FAIL', ErrorInfo: expect.stringMatching(/only requests addressed to localhost/) });
      expect(body).not.toHaveProperty('userSig');
    },
  );

  it.each(['localhost', 'localhost:8080', '127.0.0.1', '127.0.0.1:8080', '[::1]:8080'])('answers Host %s with a UserSig', async (host) => {
    const { status, body } = await devUserSig(host);
    expect(status).toBe(200);
    expect(body).toMatchObject({ sdkAppId: t.sdkAppId, userId: 'alice', userSig: expect.any(String) });
  });
});
