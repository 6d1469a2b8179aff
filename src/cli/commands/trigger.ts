/** `dialtone trigger`: sends a realistic, correctly signed sample callback to any URL. */
import type { Command } from 'commander';
import { request } from 'undici';
import { isSuccessEnvelope } from '../../callbacks/envelope.js';
import type { ActionType, CallResult } from '../../domain/types.js';
import { appSigning } from '../app-signing.js';
import { choiceArg } from '../args.js';
import { clientFor, withConnection, type ConnectionFlags } from '../connection.js';
import { out, printJson } from '../output.js';
import { CliError } from '../rest-client.js';
import { ACTION_TYPES, CALL_RESULTS, sampleCallback, signedRequest } from '../samples.js';
import { callbackCommandArg } from './callback.js';

type Flags = Omit<ConnectionFlags, 'url'> & {
  url: string;
  server?: string;
  appId?: number;
  token?: string;
  webhookSecret?: string;
  fromServer?: boolean;
  action?: ActionType;
  result?: CallResult;
  callId?: string;
  media: 'Audio' | 'Video';
  json?: boolean;
};

/** Registers `trigger` on `program`. */
export function registerTrigger(program: Command): void {
  withConnection(
    program
      .command('trigger')
      .description('Send a sample callback, signed as the server signs it, to a URL, and print the answer.')
      .argument('<callbackCommand>', 'start, member, end, or a full name such as Call.CallbackAfterEndCall', callbackCommandArg)
      .requiredOption('--url <url>', 'where to POST it (your callback endpoint; the reference query parameters are added)'),
    '--server',
  )
    .option('--app-id <id>', 'SdkAppid to put in the query (default: --sdkappid, DIALTONE_SDKAPPID or 1400000000)', (v) => Number(v))
    .option('--token <token>', 'callback token: adds RequestTime and Sign (DIALTONE_CALLBACK_TOKEN)')
    .option('--webhook-secret <whsec>', 'signs webhook-signature with this secret (DIALTONE_WEBHOOK_SECRET)')
    .option('--from-server', "sign with the app's own token and webhook secret, read from the server")
    .option('--action <type>', `MemberChanged: ${ACTION_TYPES.join(', ')} (default Accept)`, choiceArg(ACTION_TYPES))
    .option('--result <result>', `EndCall: ${CALL_RESULTS.join(', ')} (default NormalEnd)`, choiceArg(CALL_RESULTS))
    .option('--call-id <callId>', 'CallId to use (default: a new UUID)')
    .option('--media <type>', 'Audio or Video', choiceArg(['Audio', 'Video'] as const), 'Audio')
    .option('--json', 'print {"request","status","answer","accepted"} as JSON')
    .addHelpText(
      'after',
      '\nHere --url is where the sample goes; --server is the Dialtone server that --from-server reads from.\n\nExamples:\n  dialtone trigger start --url http://127.0.0.1:4000/callback\n  dialtone trigger member --action Hangup --url http://127.0.0.1:4000/callback --webhook-secret "$WHSEC"\n  dialtone trigger end --result NotAnswer --url https://api.example.com/dialtone --from-server',
    )
    .action(async (command: Parameters<typeof sampleCallback>[0], flags: Flags) => {
      // `--url` is the target here; the server (for --from-server) is `--server`.
      const connectionFlags: ConnectionFlags = { ...flags, url: flags.server };
      const now = Date.now();
      const signing = flags.fromServer
        ? await appSigning(await clientFor(connectionFlags))
        : {
            sdkAppId: flags.appId ?? flags.sdkappid ?? (process.env.DIALTONE_SDKAPPID ? Number(process.env.DIALTONE_SDKAPPID) : 1400000000),
            token: flags.token ?? process.env.DIALTONE_CALLBACK_TOKEN,
            secrets: [flags.webhookSecret ?? process.env.DIALTONE_WEBHOOK_SECRET].filter((s): s is string => !!s),
          };
      let target: URL;
      try {
        target = new URL(flags.url);
      } catch {
        throw new CliError(`--url is not an absolute URL: ${flags.url}`);
      }
      const effect = sampleCallback(command, {
        now,
        callId: flags.callId,
        action: flags.action,
        result: flags.result,
        mediaType: flags.media,
      });
      const req = signedRequest(target.toString(), effect, {
        sdkAppId: signing.sdkAppId,
        now,
        ...(signing.token !== undefined ? { token: signing.token } : {}),
        webhookSecrets: signing.secrets,
      });
      let status: number;
      let answer: string;
      try {
        const res = await request(req.url, {
          method: 'POST',
          headers: req.headers,
          body: req.body,
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        });
        status = res.statusCode;
        answer = await res.body.text();
      } catch (err) {
        throw new CliError(
          `cannot reach ${target.origin}: ${(err as { code?: string }).code ?? (err instanceof Error ? err.message : String(err))}`,
        );
      }
      const accepted = status === 200 && isSuccessEnvelope(answer);
      if (flags.json)
        printJson({ request: { url: req.url, headers: req.headers, body: JSON.parse(req.body) as unknown }, status, answer, accepted });
      else {
        out(`POST ${req.url}`);
        out(
          `webhook-id ${req.webhookId}${req.headers['webhook-signature'] ? ', signed' : ', unsigned (no webhook secret)'}${signing.token !== undefined ? ', with Sign' : ''}`,
        );
        out(req.body);
        out(`→ HTTP ${status} ${answer}`);
      }
      if (!accepted)
        throw new CliError(`the receiver did not accept it (HTTP ${status}${status === 200 ? ', not the success envelope' : ''})`);
    });
}
