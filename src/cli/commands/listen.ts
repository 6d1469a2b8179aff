/**
 * `dialtone listen`: a local callback receiver for development. Prints each callback as it
 * arrives, verifies it as a production receiver would (SdkAppid, Sign/RequestTime,
 * webhook-signature), answers the success envelope, and with `--forward` relays it to the
 * developer's own endpoint and answers with that endpoint's answer.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { intArg } from '../args.js';
import { type ConnectionFlags, withConnection } from '../connection.js';
import { describeChecks, resolveChecks } from '../listen/checks.js';
import { pointCallbacksAt } from '../listen/configure.js';
import { callbackHandler } from '../listen/handler.js';
import { progress } from '../output.js';
import { CliError } from '../rest-client.js';

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
    .action(listen);
}

/** Runs the listener until SIGINT/SIGTERM, then restores the callback configuration it changed. */
async function listen(flags: Flags): Promise<void> {
  const { client, checks } = await resolveChecks(flags, { ...flags, url: flags.server });
  const handle = callbackHandler({
    path: flags.path,
    json: flags.json === true,
    ...(checks ? { checks } : {}),
    ...(flags.forward !== undefined ? { forward: flags.forward } : {}),
  });
  const server = createServer((req, res) => void handle(req, res));
  const port = await listenOn(server, flags.host, flags.port);
  const listening = `http://${flags.host.includes(':') ? `[${flags.host}]` : flags.host}:${port}${flags.path}`;
  const restore = flags.configure && client ? await pointCallbacksAt(client, listening) : undefined;
  progress(
    `Ready: listening on ${listening} (${describeChecks(checks)})${flags.forward ? `, forwarding to ${flags.forward}` : ''}. Ctrl-C to stop.`,
  );
  await untilStopped(server, restore);
}

/** Starts listening; resolves with the port (the one picked when `port` is 0). */
async function listenOn(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new CliError(`cannot listen on ${host}:${port}: ${err.code ?? err.message}`)),
    );
    server.listen(port, host, resolve);
  });
  return (server.address() as AddressInfo).port;
}

/** Resolves on the first SIGINT/SIGTERM, once the server is closed and `restore` has run. */
function untilStopped(server: Server, restore: (() => Promise<void>) | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
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
}
