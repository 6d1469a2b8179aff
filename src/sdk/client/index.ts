/**
 * Dialtone client SDK (`dialtone/client`, and the browser bundle `/sdk/dialtone-client.js`):
 * the client ({@link DialtoneClient}), its types and errors, and the WebRTC helper
 * ({@link CallMedia}) with its device list, volume and network-quality vocabulary. The package
 * `@dialtone/client` has the same in two entries, `core.ts` (no DOM types) and `media.ts`. The
 * modules behind it import nothing from this index.
 */
export * from './core.js';
export * from './media.js';
