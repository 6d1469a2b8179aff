/**
 * The first start of `dialtone serve` on a fresh data directory: the banner with the new app's
 * credentials goes to stderr as one block naming the file they are saved in, and stdout carries
 * JSON log lines only, none with the SecretKey.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliProcess } from '../helpers/cli.js';

const dirs: string[] = [];
const procs: CliProcess[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('dialtone serve on a fresh data directory', () => {
  it('prints the credentials once, on stderr, in one block with where they are saved; stdout has JSON log lines only', async () => {
    const dataDir = realpathSync(mkdtempSync(join(tmpdir(), 'dialtone-first-start-')));
    dirs.push(dataDir);
    const serve = new CliProcess(['serve', '--dev', '--port', '0', '--data-dir', dataDir], { LOG_LEVEL: 'info' });
    procs.push(serve);
    const [, url] = await serve.waitStderr(/listening on (http:\/\/\S+)/);
    await serve.waitStderr(/UserSig of the administrator.*\n/);
    // A request, so that request logging adds log lines after the banner.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(await serve.stop()).toBe(0);

    const block = serve.stderr;
    const secretKey = /^ {2}SecretKey {2}(\S+)$/m.exec(block)?.[1];
    expect(secretKey).toBeDefined();
    expect(block).toMatch(/^Dialtone listening on http:\/\/\S+ \(dev mode\)\n/);
    expect(block).toContain(`Created an app; its credentials are saved in ${join(dataDir, 'dialtone.db')}:\n`);
    expect(block.match(/SecretKey/g)).toHaveLength(1);
    expect(block).toMatch(/\n {2}\(UserSig of the administrator[^\n]*\)\n$/);

    const lines = serve.lines();
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(serve.stdout).not.toContain(secretKey!);
  });
});
