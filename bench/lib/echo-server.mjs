// The ceiling of the signalling benchmark: a bare `ws` server on the same machine that answers
// every frame with a frame of the same size, run as its own process like the real server.
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data)));
wss.on('listening', () => process.send({ type: 'ready', port: wss.address().port }));
