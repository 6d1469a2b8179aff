/**
 * The call, connection, REST and sign-in series of `/metrics` (README "Metrics"), through the
 * real interfaces: a call placed, answered and hung up by WebSocket clients, REST requests, and
 * refused sign-ins on both surfaces. (Callback delivery series: test/both-stores/delivery.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { connectUser } from '../helpers/client.js';
import { Harness } from '../helpers/harness.js';
import { rest } from '../helpers/rest.js';
import { Receiver } from '../helpers/receiver.js';
import { startServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

let h: Harness;
afterEach(async () => {
  // The app-label test runs a server of its own, and no harness.
  if (h) await h.close();
  h = undefined as unknown as Harness;
});

/** The value of one series (`name{labels}`) in the scrape, or undefined when absent. */
async function series(name: string, labels = ''): Promise<number | undefined> {
  const text = await (await fetch(`${h.t.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('/metrics: calls, connections, REST and sign-ins', () => {
  it('counts a call from start to end with its ring and talk time, and the sockets by platform', async () => {
    h = await Harness.create();
    const alice = await h.user('alice');
    const bob = await h.user('bob', { platform: 'Android' });
    expect(await series('dialtone_ws_connections', 'platform="Web"')).toBe(1);
    expect(await series('dialtone_ws_connections', 'platform="Android"')).toBe(1);
    const callId = await h.call(alice, ['bob'], { mediaType: 'Audio' });
    await bob.nextEvent('onCallReceived');
    // From the store: one live call, two members (bob still ringing), his ring timer.
    expect(await series('dialtone_calls_active')).toBe(1);
    expect(await series('dialtone_call_members_active')).toBe(2);
    expect(await series('dialtone_timers_pending')).toBe(1);
    await h.advance(4_000);
    await h.op(bob, 'accept', { callId });
    await h.advance(65_000);
    await h.op(alice, 'hangup', { callId });
    await h.ended(callId);
    expect(await series('dialtone_calls_active')).toBe(0);
    expect(await series('dialtone_call_members_active')).toBe(0);
    expect(await series('dialtone_timers_pending')).toBe(0);
    expect(await series('dialtone_calls_started_total', 'type="SingleCall",media="Audio"')).toBe(1);
    expect(await series('dialtone_calls_ended_total', 'result="NormalEnd",type="SingleCall"')).toBe(1);
    // Rung 4 s (bucket 5), talked 65 s (bucket 120, not 60).
    expect(await series('dialtone_ring_seconds_bucket', 'le="3"')).toBe(0);
    expect(await series('dialtone_ring_seconds_bucket', 'le="5"')).toBe(1);
    expect(await series('dialtone_call_duration_seconds_bucket', 'le="60"')).toBe(0);
    expect(await series('dialtone_call_duration_seconds_bucket', 'le="120"')).toBe(1);
    bob.ws.close(1000);
    await waitFor(() => h.t.server.connections.size === 1, 5_000, "bob's socket to be gone");
    expect(await series('dialtone_ws_disconnects_total', 'reason="closed by the client"')).toBe(1);
    expect(await series('dialtone_ws_connections', 'platform="Android"')).toBeUndefined();
  });

  it('counts REST requests by command and code, and refused sign-ins by surface and code', async () => {
    h = await Harness.create();
    await rest(h.t, 'call_config/get_callback', {});
    await rest(h.t, 'call_config/get_callback', {}, { usersig: 'garbage' });
    await rest(h.t, 'call_config/no_such_command', {});
    const refused = await connectUser(h.t, 'mallory', { usersig: 'not-a-usersig' });
    await refused.closed();
    expect(await series('dialtone_rest_requests_total', 'command="call_config/get_callback",code="0"')).toBe(1);
    expect(await series('dialtone_rest_request_seconds_count', 'command="call_config/get_callback"')).toBeGreaterThanOrEqual(2);
    expect(await series('dialtone_rest_requests_total', 'command="unknown",code="60009"')).toBe(1);
    const text = await (await fetch(`${h.t.url}/metrics`)).text();
    expect(text).toMatch(/^dialtone_auth_failures_total\{surface="rest",code="700\d\d"\} 1$/m);
    expect(text).toMatch(/^dialtone_auth_failures_total\{surface="ws",code="700\d\d"\} 1$/m);
    // No per-user label anywhere.
    expect(text).not.toMatch(/\{[^}]*user/i);
  });

  it('counts frames by op and reply code, timers by how late they fired, and store transactions', async () => {
    h = await Harness.create();
    const alice = await h.user('alice');
    const callId = await h.call(alice, ['carol']);
    alice.sendRaw('not json');
    await alice.replyTo(null);
    await h.op(alice, 'ping', {});
    // carol never answers: her ring timer fires when the clock passes it, 1 s late at most here.
    await h.advance(31_000);
    expect(await h.ended(callId)).toContain('End:NotAnswer');
    expect(await series('dialtone_ws_frames_total', 'op="calls",code="0"')).toBe(1);
    expect(await series('dialtone_ws_frames_total', 'op="ping",code="0"')).toBe(1);
    expect(await series('dialtone_ws_frames_total', 'op="invalid",code="-1202"')).toBe(1);
    expect(await series('dialtone_timer_lateness_seconds_count')).toBe(1);
    expect(await series('dialtone_timer_lateness_seconds_bucket', 'le="2.5"')).toBe(1);
    expect(await series('dialtone_store_transaction_seconds_count')).toBeGreaterThan(3);
  });

  it('with DIALTONE_METRICS_APP_LABELS on, the callback series have one series per app', async () => {
    const t = await startServer({ config: { metricsAppLabels: true } });
    try {
      const receiver = await new Receiver().start();
      try {
        await rest(t, 'call_config/set_callback', { Url: receiver.url, CallbackCommandList: ['Call.CallbackAfterStartCall'] });
        const alice = await connectUser(t, 'alice');
        await alice.request('calls', { userIdList: ['bob'], mediaType: 'Audio' });
        await receiver.waitForCount(1);
        await t.server.dispatcher.idle();
        const text = await (await fetch(`${t.url}/metrics`)).text();
        expect(text).toContain(`dialtone_callbacks_delivered_total{sdkappid="${t.sdkAppId}",command="Call.CallbackAfterStartCall"} 1`);
        alice.close();
      } finally {
        await receiver.close();
      }
    } finally {
      await t.close();
    }
  });

  it('serves every series docs/OPERATIONS.md and the Grafana dashboard name', async () => {
    h = await Harness.create();
    const help = new Set([...(await (await fetch(`${h.t.url}/metrics`)).text()).matchAll(/^# HELP (dialtone_\w+) /gm)].map((m) => m[1]!));
    const docs = ['docs/OPERATIONS.md', 'docs/grafana-dashboard.json'].map((f) => readFileSync(f, 'utf8')).join('\n');
    const named = new Set([...docs.matchAll(/\b(dialtone_\w+)/g)].map((m) => m[1]!.replace(/_(bucket|count|sum)$/, '')));
    // Served in cluster mode only (test/cluster/readiness.test.ts).
    named.delete('dialtone_redis_up');
    expect(named.size).toBeGreaterThan(15);
    expect([...named].filter((n) => !help.has(n))).toEqual([]);
  });
});
