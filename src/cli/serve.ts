/** `dialtone serve`: runs the server until SIGINT/SIGTERM. */
import { makeUserSig } from '../auth/usersig.js';
import { checkConfig, type DialtoneConfig } from '../config.js';
import { createServer } from '../server.js';
import { keepRunningOnClosedOutput } from './output.js';

/** Starts the server and prints where it listens (and a new app's credentials, once). */
export async function serve(config: DialtoneConfig): Promise<void> {
  keepRunningOnClosedOutput();
  const checked = checkConfig(config);
  const server = await createServer(checked);
  const url = await server.listen();
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`Dialtone listening on ${url}${config.dev ? ' (dev mode)' : ''}`);
  out(`  REST API   ${url}/v4/{service}/{command}`);
  out(`  WebSocket  ${url.replace(/^http/, 'ws')}/v1/ws`);
  // The URLs may carry passwords: only their host part is printed.
  const where = (u: string) => new URL(u).host;
  if (checked.databaseUrl)
    out(`  Data       PostgreSQL at ${where(checked.databaseUrl)}${checked.databaseSchema ? `, schema ${checked.databaseSchema}` : ''}`);
  else out(`  Data       ${checked.dataDir}`);
  if (checked.redisUrl) out(`  Cluster    Redis at ${where(checked.redisUrl)}`);
  const app = server.createdApp;
  if (app) {
    // Printed once, to the terminal, when the app is created: it is the only time the
    // operator sees the SecretKey without asking for it. It never goes to the logger.
    const admin = app.admins[0]!;
    out();
    out('Created an app (saved in the data directory):');
    out(`  SDKAppID   ${app.sdkAppId}`);
    out(`  SecretKey  ${app.secretKey}`);
    out(`  Admin      ${admin}`);
    out(`  UserSig    ${makeUserSig({ sdkAppId: app.sdkAppId, secretKey: app.secretKey, userId: admin })}`);
    out('  (UserSig of the administrator, valid 180 days; make more with `npm run dialtone -- usersig <userId>`)');
  } else if (config.dev) {
    const apps = server.apps.list();
    out(`Apps: ${apps.map((a) => a.sdkAppId).join(', ')}  (UserSigs: npm run dialtone -- usersig <userId>)`);
  }
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
