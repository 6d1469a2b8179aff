/**
 * Requests whose method Node answers itself, before Fastify sees them: CONNECT, which Node hands
 * to a `connect` listener (and without one drops unanswered), and method tokens its parser does
 * not know (a client error, 400). On a REST path they get the 405 every other method but POST
 * gets (SPEC §2.1); elsewhere CONNECT gets the 404 of an unknown endpoint.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERR } from '../../errors.js';
import { failEnvelope, type Envelope } from './envelope.js';
import { isRestPath, methodNotAllowedEnvelope } from './rest-api.js';

// An HTTP/1 request line whose method is a token (RFC 9110 §5.6.2).
const REQUEST_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ (\S+) HTTP\/1\.[01]\r?\n/;

/** Installs the answers to CONNECT and to unknown method tokens on `server`. */
export function answerMethodsNodeKeeps(server: Server): void {
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    const path = pathOf(req.url ?? '');
    socket.end(
      isRestPath(path)
        ? notAllowed()
        : response('404 Not Found', '', failEnvelope(randomUUID(), ERR.REST_BAD_REQUEST.code, `no such endpoint: CONNECT ${path}`)),
    );
  });
  // Ahead of Fastify's own listener, which leaves a destroyed socket alone.
  server.prependListener('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => {
    if (err.code !== 'HPE_INVALID_METHOD' || !socket.writable) return;
    const line = REQUEST_LINE.exec(err.rawPacket?.subarray(0, 8192).toString('latin1') ?? '');
    if (!line || !isRestPath(pathOf(line[1]!))) return;
    socket.write(notAllowed());
    socket.destroy();
  });
}

function pathOf(url: string): string {
  return url.split('?')[0]!;
}

function notAllowed(): string {
  return response('405 Method Not Allowed', 'Allow: POST\r\n', methodNotAllowedEnvelope(randomUUID()));
}

function response(status: string, headers: string, envelope: Envelope): string {
  const body = JSON.stringify(envelope);
  return (
    `HTTP/1.1 ${status}\r\n${headers}Content-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}
