/** The one helper of node-postgres's internals a statement batch uses (see batch.ts): how it maps a JS value to a parameter. */
declare module 'pg/lib/utils.js' {
  const utils: {
    /** A parameter value as node-postgres sends it: text, a Buffer (binary) or null. */
    prepareValue(value: unknown): unknown;
  };
  export default utils;
}
