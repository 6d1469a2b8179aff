// Two WebSocket clients: alice (Web) calls bob (Android); bob rings; alice cancels.
// Usage: node examples/call.mjs   (run from the checkout while `npm start` is running)
import WebSocket from 'ws';
import { execFileSync } from 'node:child_process';

const server = process.env.DIALTONE_URL ?? 'ws://127.0.0.1:8080';
const sig = (user) => JSON.parse(execFileSync('node', ['bin/dialtone.js', 'usersig', user, '--json'], { encoding: 'utf8' }));

function connect(user, platform) {
  const { sdkAppId, userSig } = sig(user);
  const ws = new WebSocket(`${server}/v1/ws?sdkappid=${sdkAppId}&userid=${user}&usersig=${userSig}&platform=${platform}`);
  ws.on('message', (data) => console.log(`${user} <- ${data}`));
  return new Promise((resolve) => ws.on('open', () => resolve(ws)));
}

const alice = await connect('alice', 'Web');
const bob = await connect('bob', 'Android');
alice.send(JSON.stringify({ id: 1, op: 'calls', args: { userIdList: ['bob'], mediaType: 'Video' } }));
const reply = await new Promise((resolve) => alice.once('message', (d) => resolve(JSON.parse(d))));
await new Promise((r) => setTimeout(r, 500));
alice.send(JSON.stringify({ id: 2, op: 'hangup', args: { callId: reply.result.callId } }));
await new Promise((r) => setTimeout(r, 500));
alice.close();
bob.close();
