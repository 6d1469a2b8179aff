/**
 * The ready-made endpoints, each on its real transport: a Node `http` server, an Express-style
 * handler (Express is not installed: a Node server hands it req/res the way Express does, with
 * and without an `express.raw` body), a Fastify instance, and the fetch handler with `Request`s.
 * Every one runs the same cases: success, refusal, a failing onCallback, a bad body, size, method.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { webhookSignature } from '../auth/callback-sign.js';
import { callbackBody, callbackUrl } from '../callbacks/render.js';
import { CallbackVerificationError } from './errors.js';
import { fastifyReceiver } from './fastify.js';
import { fetchHandler } from './fetch.js';
import type { ReceiverOptions } from './handlers.js';
import { expressHandler, nodeHandler, type ExpressRequestLike } from './node.js';
import type { DialtoneCallback } from './types.js';

const SDK_APP_ID = 1400000000;
const SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
const SENT = 1700000000;
const now = () => SENT * 1000 + 1000;
const MAX = 4096;

const BODY = callbackBody({
  type: 'callback',
  command: 'Call.CallbackAfterMemberChanged',
  callId: 'call-7',
  userList: [{ User_Account: 'alice', Status: 'Calling' }],
  changedUserList: [{ User_Account: 'bob', ActionType: 'Hangup' }],
  eventTime: SENT * 1000,
});

/** Path and query of a callback, as Dialtone would address `http://app/callback`. */
const PATH = (() => {
  const u = new URL(
    callbackUrl('http://app.invalid/callback', SDK_APP_ID, 'Call.CallbackAfterMemberChanged', { clientIp: '10.0.0.1', platform: 'iOS' }),
  );
  return `${u.pathname}${u.search}`;
})();

function signedHeaders(body: string, secret = SECRET): Record<string, string> {
  return {
    'content-type': 'application/json; charset=utf-8',
    'webhook-id': 'msg_42',
    'webhook-timestamp': String(SENT),
    'webhook-signature': webhookSignature(secret, 'msg_42', SENT, body),
  };
}

/** What the app saw through onCallback / onError. */
const seen: { callbacks: DialtoneCallback[]; errors: Error[]; failNext: boolean } = { callbacks: [], errors: [], failNext: false };
beforeEach(() => {
  seen.callbacks = [];
  seen.errors = [];
  seen.failNext = false;
});

const options: ReceiverOptions = {
  sdkAppId: SDK_APP_ID,
  webhookSecret: SECRET,
  now,
  maxBodyBytes: MAX,
  onCallback: (cb) => {
    if (seen.failNext) throw new Error('database down');
    seen.callbacks.push(cb);
  },
  onError: (error) => {
    seen.errors.push(error);
  },
};

interface Answer {
  status: number;
  json: unknown;
  contentType: string | null;
}

/** One endpoint under test: how to POST (or otherwise send) to it. */
interface Endpoint {
  send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | ReadableStream<Uint8Array> | undefined,
  ): Promise<Answer>;
  close(): Promise<void>;
}

async function listen(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<Endpoint> {
  const server: Server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    async send(method, path, headers, body) {
      // duplex: 'half' lets a test stream a body without a Content-Length.
      const res = await fetch(`${base}${path}`, { method, headers, body, duplex: 'half' } as RequestInit);
      return { status: res.status, json: await res.json(), contentType: res.headers.get('content-type') };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Reads a Node request fully, the way `express.raw()` does, and sets `req.body` to a Buffer. */
function expressRaw(req: ExpressRequestLike): Promise<void> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      req.body = Buffer.concat(chunks);
      resolve();
    });
  });
}

const ENDPOINTS: Record<string, () => Promise<Endpoint>> = {
  'Node http (nodeHandler)': () => listen(nodeHandler(options)),
  'Express with express.raw (expressHandler)': () => {
    const handle = expressHandler(options);
    return listen((req, res) => {
      const r = req as ExpressRequestLike;
      r.originalUrl = r.url;
      // A router mounted at /callback strips its path from req.url; originalUrl keeps it.
      r.url = r.url?.replace(/^\/callback/, '') || '/';
      void expressRaw(r).then(() => handle(r, res, () => res.writeHead(599).end()));
    });
  },
  'Express without a body parser (expressHandler reads the stream)': () => {
    const handle = expressHandler(options);
    return listen((req, res) => handle(req, res));
  },
  'Fastify (fastifyReceiver)': async () => {
    const app: FastifyInstance = Fastify();
    await app.register(fastifyReceiver, { ...options, path: '/callback' });
    await app.ready();
    return {
      async send(method, path, headers, body) {
        const res = await app.inject({ method: method as 'POST', url: path, headers, ...(body === undefined ? {} : { payload: body }) });
        return { status: res.statusCode, json: res.json(), contentType: String(res.headers['content-type']) };
      },
      close: () => app.close(),
    };
  },
  'fetch (fetchHandler)': async () => {
    const handle = fetchHandler(options);
    return {
      async send(method, path, headers, body) {
        const res = await handle(new Request(`https://app.example${path}`, { method, headers, body: body ?? null }));
        return { status: res.status, json: await res.json(), contentType: res.headers.get('content-type') };
      },
      close: async () => undefined,
    };
  },
};

describe.each(Object.keys(ENDPOINTS))('%s', (name) => {
  let endpoint: Endpoint;
  beforeAll(async () => {
    endpoint = await ENDPOINTS[name]!();
  });
  afterAll(async () => {
    await endpoint.close();
  });

  it('answers 200 with the success envelope and hands onCallback the typed callback', async () => {
    const answer = await endpoint.send('POST', PATH, signedHeaders(BODY), BODY);
    expect(answer).toEqual({
      status: 200,
      json: { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 },
      contentType: 'application/json; charset=utf-8',
    });
    expect(seen.callbacks).toHaveLength(1);
    expect(seen.callbacks[0]).toMatchObject({
      command: 'Call.CallbackAfterMemberChanged',
      sdkAppId: SDK_APP_ID,
      callId: 'call-7',
      webhookId: 'msg_42',
      changedUserList: [{ User_Account: 'bob', ActionType: 'Hangup' }],
      query: { OptPlatform: 'iOS', ClientIP: '10.0.0.1' },
    });
    expect(seen.errors).toEqual([]);
  });

  it('answers 401 with a failure envelope for a bad signature, without calling onCallback', async () => {
    const answer = await endpoint.send('POST', PATH, signedHeaders(BODY), BODY.replace('bob', 'eve'));
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 401, ErrorInfo: expect.stringContaining('(signature)') });
    expect(seen.callbacks).toEqual([]);
    expect(seen.errors).toHaveLength(1);
    expect((seen.errors[0] as CallbackVerificationError).reason).toBe('signature');
  });

  it('answers 401 for another app id', async () => {
    const answer = await endpoint.send('POST', PATH.replace(String(SDK_APP_ID), '1400000001'), signedHeaders(BODY), BODY);
    expect(answer).toMatchObject({ status: 401, json: { ActionStatus: 'FAIL', ErrorInfo: expect.stringContaining('(sdkappid)') } });
    expect(seen.callbacks).toEqual([]);
  });

  it('answers 400 for a signed body that is not a callback', async () => {
    const body = '{"CallbackCommand":"Call.CallbackAfterMemberChanged"}';
    const answer = await endpoint.send('POST', PATH, signedHeaders(body), body);
    expect(answer).toMatchObject({
      status: 400,
      json: { ActionStatus: 'FAIL', ErrorCode: 400, ErrorInfo: expect.stringContaining('(body)') },
    });
    expect(seen.callbacks).toEqual([]);
  });

  it('answers 500 with a failure envelope when onCallback throws (so Dialtone retries), without leaking its message', async () => {
    seen.failNext = true;
    const answer = await endpoint.send('POST', PATH, signedHeaders(BODY), BODY);
    expect(answer).toMatchObject({ status: 500, json: { ActionStatus: 'FAIL', ErrorCode: 500 } });
    expect(JSON.stringify(answer.json)).not.toContain('database down');
    expect(seen.errors.map((e) => e.message)).toEqual(['database down']);
  });

  it('answers 413 for a body over maxBodyBytes', async () => {
    const body = BODY.replace('"EventTime"', `"Padding":"${'x'.repeat(MAX)}","EventTime"`);
    const answer = await endpoint.send('POST', PATH, signedHeaders(body), body);
    expect(answer).toMatchObject({ status: 413, json: { ActionStatus: 'FAIL', ErrorCode: 413 } });
    expect(seen.callbacks).toEqual([]);
  });

  it('refuses a GET (405 with a failure envelope; Fastify: its own 404, as only POST is routed)', async () => {
    const answer = await endpoint.send('GET', PATH, {}, undefined);
    if (name.startsWith('Fastify')) expect(answer.status).toBe(404);
    else expect(answer).toMatchObject({ status: 405, json: { ActionStatus: 'FAIL', ErrorCode: 405 } });
    expect(seen.callbacks).toEqual([]);
  });
});

describe('expressHandler behind express.json()', () => {
  it('passes a configuration error to next: the raw bytes the signature covers are gone', async () => {
    const handle = expressHandler(options);
    const nextErrors: unknown[] = [];
    const endpoint = await listen((req, res) => {
      const r = req as ExpressRequestLike;
      // What express.json() leaves behind: the stream consumed, req.body an object.
      void expressRaw(r).then(() => {
        r.body = JSON.parse((r.body as Buffer).toString('utf8')) as unknown;
        handle(r, res, (error) => {
          nextErrors.push(error);
          res.writeHead(500, { 'content-type': 'application/json' }).end('{}');
        });
      });
    });
    try {
      const answer = await endpoint.send('POST', PATH, signedHeaders(BODY), BODY);
      expect(answer.status).toBe(500);
      expect(nextErrors).toHaveLength(1);
      expect(String(nextErrors[0])).toContain('express.raw');
      expect(seen.callbacks).toEqual([]);
    } finally {
      await endpoint.close();
    }
  });
});

describe('fastifyReceiver encapsulation', () => {
  it("leaves the app's own JSON parsing alone and honours a registration prefix", async () => {
    const app = Fastify();
    app.post('/api/echo', async (request) => ({ parsed: request.body }));
    await app.register(fastifyReceiver, { ...options, prefix: '/hooks' });
    try {
      const echo = await app.inject({ method: 'POST', url: '/api/echo', payload: { a: 1 } });
      expect(echo.json()).toEqual({ parsed: { a: 1 } });
      const answer = await app.inject({ method: 'POST', url: `/hooks${PATH}`, headers: signedHeaders(BODY), payload: BODY });
      expect(answer.statusCode).toBe(200);
      expect(seen.callbacks).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});

describe('nodeHandler reading a chunked body', () => {
  it('stops at maxBodyBytes when no Content-Length announces the size: 413', async () => {
    const endpoint = await listen(nodeHandler(options));
    try {
      const chunk = new TextEncoder().encode('x'.repeat(1024));
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          // Twice the limit, in chunks: the handler must refuse without buffering it all.
          if (sent++ < (2 * MAX) / chunk.length) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const answer = await endpoint.send('POST', PATH, signedHeaders(BODY), body);
      expect(answer).toMatchObject({ status: 413, json: { ActionStatus: 'FAIL', ErrorCode: 413 } });
      expect(seen.callbacks).toEqual([]);
    } finally {
      await endpoint.close();
    }
  });
});
