// What the benchmarks ask of a Dialtone as its operator: the REST API as the app's
// administrator, callbacks on, and the database statements it counts in /metrics.
import { RestClient } from '../../dist/cli/rest-client.js';

/** The three callback commands, all on in every benchmark that delivers callbacks. */
export const ALL_CALLBACK_COMMANDS = ['Call.CallbackAfterStartCall', 'Call.CallbackAfterMemberChanged', 'Call.CallbackAfterEndCall'];

/** Calls a REST command as the app's administrator, through the CLI's own client. */
export function rest(url, { sdkAppId, secretKey }, path, body) {
  return new RestClient({ url, sdkAppId, secretKey, admin: 'administrator' }).call(path, body);
}

/** Sends every callback command of the app to `receiverUrl`. */
export function enableCallbacks(url, auth, receiverUrl) {
  return rest(url, auth, 'call_config/set_callback', { Url: receiverUrl, CallbackCommandList: ALL_CALLBACK_COMMANDS });
}

/**
 * Database statements sent so far by the given processes, from their /metrics (PostgreSQL only):
 * `{ all, beginCommits, roundTrips }`, or undefined when a process has no such series (SQLite).
 * `beginCommits` is undefined on a server without the separate series; `roundTrips` on a server
 * that sends one statement per round trip (then it is `all`).
 */
export async function dbStatements(nodes) {
  let all = 0;
  let beginCommits = 0;
  let roundTrips = 0;
  for (const n of nodes) {
    const text = await (await fetch(`${n.url}/metrics`)).text();
    const m = /^dialtone_db_queries_total (\d+)/m.exec(text);
    if (!m) return undefined;
    all += Number(m[1]);
    const b = /^dialtone_db_begin_commits_total (\d+)/m.exec(text);
    beginCommits = b && beginCommits !== undefined ? beginCommits + Number(b[1]) : undefined;
    const r = /^dialtone_db_round_trips_total (\d+)/m.exec(text);
    roundTrips = r && roundTrips !== undefined ? roundTrips + Number(r[1]) : undefined;
  }
  return { all, beginCommits, roundTrips: roundTrips ?? all };
}
