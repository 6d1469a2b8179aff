/** `dialtone serve`: runs the server until SIGINT/SIGTERM. */
import { resolve } from 'node:path';
import { makeUserSig } from '../auth/usersig.js';
import { checkConfig, type DialtoneConfig } from '../config.js';
import { createServer, type DialtoneServer } from '../server.js';
import { keepRunningOnClosedOutput } from './output.js';

/**
 * Starts the server and prints, on stderr, where it listens (and a new app's credentials, once):
 * stdout carries only the JSON log lines.
 */
export async function serve(config: DialtoneConfig): Promise<void> {
  keepRunningOnClosedOutput();
  const checked = checkConfig(config);
  const server = await createServer(checked);
  const url = await server.listen();
  process.stderr.write(banner(server, checked, url));
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    server.log.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        server.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/**
 * The start-up banner, as one block so that nothing else written meanwhile lands inside it: the
 * addresses, where the data is, and, on the start that created an app, its credentials and
 * where they are saved.
 */
function banner(server: DialtoneServer, config: DialtoneConfig, url: string): string {
  const lines = [
    `Dialtone listening on ${url}${config.dev ? ' (dev mode)' : ''}`,
    `  REST API   ${url}/v4/{service}/{command}`,
    `  WebSocket  ${url.replace(/^http/, 'ws')}/v1/ws`,
  ];
  // The URLs may carry passwords: only their host part is printed.
  const where = (u: string) => new URL(u).host;
  const store = config.databaseUrl
    ? `PostgreSQL at ${where(config.databaseUrl)}${config.databaseSchema ? `, schema ${config.databaseSchema}` : ''}`
    : resolve(config.dataDir, 'dialtone.db');
  lines.push(`  Data       ${store}`);
  if (config.redisUrl) lines.push(`  Cluster    Redis at ${where(config.redisUrl)}`);
  // What clients will be told, so an operator sees at once whether TURN is on (never the secret).
  const ice = config.iceServers.flatMap((s) => s.urls);
  if (ice.length > 0) lines.push(`  ICE        ${ice.join(' ')}`);
  if (config.turnUrls) lines.push(`  TURN       ${config.turnUrls.join(' ')} (credentials valid ${config.turnTtlSeconds} s)`);
  const app = server.createdApp;
  if (app) {
    // The only time the operator sees the SecretKey without asking for it: printed to the
    // terminal once, never given to the logger.
    const admin = app.admins[0]!;
    lines.push(
      '',
      `Created an app; its credentials are saved in ${store}:`,
      `  SDKAppID   ${app.sdkAppId}`,
      `  SecretKey  ${app.secretKey}`,
      `  Admin      ${admin}`,
      `  UserSig    ${makeUserSig({ sdkAppId: app.sdkAppId, secretKey: app.secretKey, userId: admin })}`,
      '  (UserSig of the administrator, valid 180 days; make more with `npm run dialtone -- usersig <userId>`)',
    );
  } else if (config.dev) {
    const apps = server.apps.list();
    lines.push(`Apps: ${apps.map((a) => a.sdkAppId).join(', ')}  (UserSigs: npm run dialtone -- usersig <userId>)`);
  }
  return `${lines.join('\n')}\n`;
}
