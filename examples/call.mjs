// Two WebSocket clients: alice (Web) calls bob (Android); bob rings; alice cancels.
// Usage: node examples/call.mjs   (from the checkout, while `npm start` is running)
import WebSocket from 'ws';
import { execFileSync } from 'node:child_process';

const server = process.env.DIALTONE_URL ?? 'ws://127.0.0.1:8080';
const sig = (user) => JSON.parse(execFileSync('node', ['bin/dialtone.js', 'usersig', user, '--json'], { encoding: 'utf8' }));

function connect(user, platform) {
  const { sdkAppId, userSig } = sig(user);
  const ws = new WebSocket(`${server}/v1/ws?sdkappid=${sdkAppId}&userid=${user}&usersig=${userSig}&platform=${platform}`);
  ws.on('message', (data) => console.log(`${user} <- ${data}`));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Resolves with the first frame of `ws` that matches `test`. */
function frame(ws, test) {
  return new Promise((resolve) => {
    const onMessage = (data) => {
      const f = JSON.parse(data);
      if (test(f)) {
        ws.off('message', onMessage);
        resolve(f);
      }
    };
    ws.on('message', onMessage);
  });
}

const alice = await connect('alice', 'Web');
const bob = await connect('bob', 'Android');
const ringing = frame(bob, (f) => f.event === 'onCallReceived');
const replied = frame(alice, (f) => f.id === 1);
alice.send(JSON.stringify({ id: 1, op: 'calls', args: { userIdList: ['bob'], mediaType: 'Video' } }));
const reply = await replied;
if (!reply.ok) {
  console.error(`calls failed: ${reply.code} ${reply.message}`);
  process.exit(1);
}
await ringing;
const canceled = frame(bob, (f) => f.event === 'onCallNotConnected');
alice.send(JSON.stringify({ id: 2, op: 'hangup', args: { callId: reply.result.callId } }));
await canceled;
alice.close();
bob.close();
