/**
 * Saved connections (`dialtone login`): a JSON file readable by its owner only, because it holds
 * SecretKeys. `$DIALTONE_CONFIG`, else `$XDG_CONFIG_HOME/dialtone/profiles.json`, else
 * `~/.config/dialtone/profiles.json`.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, type Connection } from './rest-client.js';

/** The profiles file. */
export interface ProfileFile {
  /** Profile used when none is named. */
  default?: string;
  profiles: Record<string, Connection>;
}

/** Path of the profiles file. */
export function profilesPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DIALTONE_CONFIG) return env.DIALTONE_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'dialtone', 'profiles.json');
}

/** Reads the profiles file; an absent file is an empty one. */
export function readProfiles(file = profilesPath()): ProfileFile {
  if (!existsSync(file)) return { profiles: {} };
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as ProfileFile;
    return { ...parsed, profiles: parsed.profiles ?? {} };
  } catch (err) {
    throw new CliError(`cannot read profiles from ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Saves `connection` as profile `name` (the default one when it is the first or `makeDefault`). */
export function saveProfile(name: string, connection: Connection, makeDefault: boolean, file = profilesPath()): void {
  const current = readProfiles(file);
  current.profiles[name] = connection;
  if (makeDefault || !current.default || !current.profiles[current.default]) current.default = name;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // Written aside and renamed: a crash mid-write never leaves half a file of secrets.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(current, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}
