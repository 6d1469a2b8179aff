/**
 * `dialtone listen`: a local callback receiver for development. Prints each callback as it
 * arrives, verifies it as a production receiver would (SdkAppid, Sign/RequestTime,
 * webhook-signature), answers the success envelope, and with `--forward` relays it to the
 * developer's own endpoint and answers with that endpoint's answer.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { request } from 'undici';
import {
  CallbackVerificationError,
  failureEnvelope,
  successEnvelope,
  verifyCallback,
  type DialtoneCallback,
} from '../../receiver/index.js';
import { readBody } from '../../receiver/node.js';
import { appSigning, type AppSigning } from '../app-signing.js';
import { intArg } from '../args.js';
import { clientFor, type ConnectionFlags, withConnection } from '../connection.js';
import { out, printJson, progress } from '../output.js';
import { CliError, RestError, type RestClient } from '../rest-client.js';

type Flags = Omit<ConnectionFlags, 'url'> & {
  server?: string;
  port: number;
  host: string;
  path: string;
  forward?: string;
  configure?: boolean;
  verify: boolean;
  appId?: number;
  token?: string;
  webhookSecret?: string;
  json?: boolean;
};

const MAX_BODY = 1024 * 1024;

/** One line that says what happened in a callback. */
export function describeCallback(cb: DialtoneCallback): string {
  const users = (list: { User_Account: string; Status: string }[]) => list.map((u) => `${u.User_Account}:${u.Status}`).join(' ');
  switch (cb.command) {
    case 'Call.CallbackAfterStartCall':
      return `StartCall      ${cb.callId}  ${cb.callInfo.MediaType}  ${users(cb.userList)}`;
    case 'Call.CallbackAfterMemberChanged':
      return `MemberChanged  ${cb.callId}  ${cb.changedUserList.map((c) => `${c.User_Account} ${c.ActionType}`).join(', ')}  → ${users(cb.userList)}`;
    case 'Call.CallbackAfterEndCall': {
      const r = cb.callRecord;
      const talked = r.AcceptTime ? `, ${r.EndTime - r.AcceptTime} s connected` : '';
      return `EndCall        ${cb.callId}  ${r.CallResult}  caller ${r.Caller_Account}, members ${r.CalleeList_Account.join(',')}${talked}`;
    }
  }
}

/** Registers `listen` on `program`. */
export function registerListen(program: Command): void {
  withConnection(
    program
      .command('listen')
      .description('Run a local callback receiver: print, verify and answer each callback; optionally forward it to your app.')
      .option('--port <port>', 'port to listen on, 0 for any free one', intArg(0, 65535), 4000)
      .option('--host <host>', 'address to listen on', '127.0.0.1')
      .option('--path <path>', 'path of the callback endpoint', '/')
      .option('--forward <url>', 'relay each callback (same query, headers and body) to this URL and answer with its answer')
      .option('--configure', "point the app's callback configuration at this listener (all commands) while it runs; restored on exit")
      .option('--no-verify', 'do not check SdkAppid, Sign or webhook-signature')
      .option('--app-id <id>', 'the SdkAppid callbacks must carry (default: the connection’s app)', intArg(1, 0xffffffff))
      .option('--token <token>', 'callback token to check Sign with (default: read from the server)')
      .option('--webhook-secret <whsec>', 'webhook secret to check webhook-signature with (default: read from the server)')
      .option('--json', 'print one JSON line per callback (query, webhook headers, body, verification, forward answer)'),
    '--server',
  )
    .addHelpText(
      'after',
      '\nWith no --token/--webhook-secret, the app’s own are read from the server (--server, DIALTONE_URL, a profile or ./data).\nThe listener is on loopback: the server must allow it (dev mode does; else DIALTONE_CALLBACK_ALLOW=127.0.0.0/8,::1).\n\nExamples:\n  dialtone listen --configure\n  dialtone listen --port 4000 --forward http://127.0.0.1:3000/webhooks/dialtone\n  dialtone listen --json > callbacks.ndjson',
    )
    .action(async (flags: Flags) => {
      const connectionFlags: ConnectionFlags = { ...flags, url: flags.server };
      let client: RestClient | undefined;
      let checks: AppSigning | undefined;
      if (flags.verify || flags.configure) {
        const explicit = flags.appId !== undefined && (flags.token !== undefined || flags.webhookSecret !== undefined);
        if (!explicit || flags.configure) client = await clientFor(connectionFlags);
        const fromServer = explicit ? undefined : await appSigning(client!);
        if (flags.verify) {
          checks = {
            sdkAppId: flags.appId ?? fromServer?.sdkAppId ?? client!.connection.sdkAppId,
            ...((flags.token ?? fromServer?.token) !== undefined ? { token: flags.token ?? fromServer!.token! } : {}),
            secrets: flags.webhookSecret !== undefined ? [flags.webhookSecret] : (fromServer?.secrets ?? []),
          };
        }
      }

      const server = createServer((req, res) => void handle(req, res));
      async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const answer = (status: number, body: unknown) => {
          const text = typeof body === 'string' ? body : JSON.stringify(body);
          res.writeHead(status, { 'content-type': 'application/json' }).end(text);
        };
        if (req.method !== 'POST' || (req.url ?? '/').split('?')[0] !== flags.path)
          return answer(404, failureEnvelope(404, `POST ${flags.path} only`));
        let bytes: Uint8Array | undefined;
        try {
          bytes = await readBody(req, MAX_BODY);
        } catch {
          bytes = undefined;
        }
        if (!bytes) return answer(413, failureEnvelope(413, 'body over 1 MiB'));
        const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const receivedAt = new Date();
        const url = req.url ?? '/';
        const query = Object.fromEntries(new URL(url, 'http://listener').searchParams);
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw.toString('utf8'));
        } catch {
          parsed = raw.toString('utf8');
        }
        let callback: DialtoneCallback | undefined;
        let rejected: { reason: string; message: string } | undefined;
        if (checks) {
          try {
            callback = await verifyCallback(
              { url, headers: req.headers, rawBody: raw },
              {
                sdkAppId: checks.sdkAppId,
                ...(checks.token !== undefined ? { token: checks.token } : {}),
                ...(checks.secrets.length ? { webhookSecret: checks.secrets } : {}),
              },
            );
          } catch (err) {
            rejected =
              err instanceof CallbackVerificationError
                ? { reason: err.reason, message: err.message }
                : { reason: 'body', message: String(err) };
          }
        }
        let forwarded: { status: number; answer: string } | { error: string } | undefined;
        if (flags.forward && !rejected) {
          try {
            const target = new URL(flags.forward);
            for (const [k, v] of new URL(url, 'http://listener').searchParams) target.searchParams.set(k, v);
            const headers: Record<string, string> = {};
            for (const name of ['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature']) {
              const v = req.headers[name];
              if (typeof v === 'string') headers[name] = v;
            }
            const r = await request(target, { method: 'POST', headers, body: raw, headersTimeout: 30_000, bodyTimeout: 30_000 });
            forwarded = { status: r.statusCode, answer: await r.body.text() };
          } catch (err) {
            forwarded = { error: (err as { code?: string }).code ?? (err instanceof Error ? err.message : String(err)) };
          }
        }
        if (flags.json) {
          printJson({
            receivedAt: receivedAt.toISOString(),
            verified: checks ? !rejected : null,
            ...(rejected ? { rejected } : {}),
            query,
            headers: {
              'webhook-id': req.headers['webhook-id'],
              'webhook-timestamp': req.headers['webhook-timestamp'],
              'webhook-signature': req.headers['webhook-signature'],
            },
            body: parsed,
            ...(forwarded ? { forward: forwarded } : {}),
          });
        } else {
          const time = receivedAt.toISOString().slice(11, 23);
          if (rejected) out(`${time}  ✗ rejected (${rejected.reason}): ${rejected.message}  ${query.CallbackCommand ?? ''}`);
          else {
            const line = callback ? describeCallback(callback) : `${String(query.CallbackCommand ?? '?')}  ${raw.toString('utf8')}`;
            out(`${time}  ${line}${checks ? '  ✓ verified' : ''}`);
          }
          if (forwarded)
            out(
              'status' in forwarded
                ? `    → ${flags.forward}: HTTP ${forwarded.status} ${forwarded.answer}`
                : `    → ${flags.forward}: ${forwarded.error}`,
            );
        }
        if (rejected)
          return answer(rejected.reason === 'body' ? 400 : 401, failureEnvelope(401, `${rejected.reason}: ${rejected.message}`));
        if (forwarded) {
          if ('status' in forwarded) return answer(forwarded.status, forwarded.answer);
          return answer(502, failureEnvelope(502, `forward failed: ${forwarded.error}`));
        }
        return answer(200, successEnvelope());
      }

      await new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) =>
          reject(new CliError(`cannot listen on ${flags.host}:${flags.port}: ${err.code ?? err.message}`)),
        );
        server.listen(flags.port, flags.host, resolve);
      });
      const { port } = server.address() as AddressInfo;
      const listening = `http://${flags.host.includes(':') ? `[${flags.host}]` : flags.host}:${port}${flags.path}`;

      let restore: (() => Promise<void>) | undefined;
      if (flags.configure && client) {
        const c = client;
        let previous: { Url: string; CallbackCommandList: string[] } | undefined;
        try {
          previous = await c.call('call_config/get_callback');
        } catch (err) {
          if (!(err instanceof RestError && err.errorCode === 100301)) throw err;
        }
        await c.call('call_config/set_callback', {
          Url: listening,
          CallbackCommandList: ['Call.CallbackAfterStartCall', 'Call.CallbackAfterMemberChanged', 'Call.CallbackAfterEndCall'],
        });
        restore = async () => {
          if (previous) await c.call('call_config/set_callback', previous);
          else await c.call('call_config/delete_callback');
        };
        progress(
          `app ${c.connection.sdkAppId} now sends its callbacks here${previous ? ` (was ${previous.Url}; restored on exit)` : ' (removed again on exit)'}`,
        );
      }
      const what = checks
        ? `verifying SdkAppid ${checks.sdkAppId}${checks.token !== undefined ? ', Sign' : ''}${checks.secrets.length ? ', webhook-signature' : ''}`
        : 'not verifying';
      progress(`Ready: listening on ${listening} (${what})${flags.forward ? `, forwarding to ${flags.forward}` : ''}. Ctrl-C to stop.`);

      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = () => {
          if (stopping) return;
          stopping = true;
          server.close();
          server.closeAllConnections();
          (restore ? restore() : Promise.resolve()).then(
            () => resolve(),
            (err: unknown) => {
              progress(`could not restore the callback configuration: ${err instanceof Error ? err.message : String(err)}`);
              resolve();
            },
          );
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
