/**
 * Dialtone client SDK (`dialtone/client`, and the browser bundle `/sdk/dialtone-client.js`):
 * the client ({@link DialtoneClient}), its types and errors, and the WebRTC helper
 * ({@link CallMedia}). The modules behind it import nothing from this index.
 */
export * from './types.js';
export { DialtoneClient } from './client.js';
export { CallMedia, type CallMediaOptions } from './webrtc.js';
