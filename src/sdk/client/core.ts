/**
 * The client SDK without media (`@dialtone/client`): the client ({@link DialtoneClient}), its
 * types and errors, and the network-quality scale. Nothing here, declarations included, names a
 * DOM type, so a Node project compiles against it with `lib: ["ES2022"]` alone; what needs the
 * DOM (`CallMedia`, devices, volume) is in `media.ts` (`@dialtone/client/media`).
 */
export * from './types.js';
export { DialtoneClient } from './client.js';
export { NetworkQuality, QUALITY_THRESHOLDS } from './stats.js';
