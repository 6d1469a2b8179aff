/**
 * ESLint plugin with one rule, `layers/imports`: which parts of `src/` a file may import from,
 * judged on the resolved path of each import rather than on its text, so a rule holds at any
 * folder depth and survives moves. The table of layers is in `eslint.config.js`; this file is
 * only the mechanism.
 *
 * Every way a module can name another counts: `import` and `import type`, `export … from`,
 * `import()` with a literal, and type-level `import('…').T`. Bare specifiers (packages and
 * `node:` builtins) are allowed unless the layer says `packages: false`.
 */
import path from 'node:path';

const EXTENSION = /\.(?:d\.ts|ts|mts|js|mjs|json)$/;

/** `src/`-relative, extension-less, `/`-separated form of an absolute path; undefined outside `src/`. */
function inSrc(root, file) {
  const rel = path.relative(root, file).split(path.sep).join('/');
  if (rel.startsWith('../') || path.isAbsolute(rel)) return undefined;
  return rel.replace(EXTENSION, '');
}

/** True when `rel` is the entry: a folder (`protocol/`) or one module (`errors.ts`). */
function matches(entry, rel) {
  return entry.endsWith('/') ? rel.startsWith(entry) : rel === entry.replace(EXTENSION, '');
}

/** Why `specifier` is refused for this layer, or undefined when it is allowed. */
function refusal(options, filename, specifier) {
  const { root, layer, allow, deny, packages = true } = options;
  if (!specifier.startsWith('.') && !specifier.startsWith('/')) {
    return packages ? undefined : `${layer} imports no packages or Node builtins ('${specifier}')`;
  }
  const target = inSrc(root, path.resolve(path.dirname(filename), specifier));
  if (target === undefined) return `${layer} imports nothing outside src/ ('${specifier}')`;
  if (allow && !allow.some((entry) => matches(entry, target))) {
    const only = allow.length > 0 ? `only ${allow.join(', ')}` : 'nothing else in src/';
    return `${layer} may import ${only} ('${specifier}')`;
  }
  const denied = deny?.find((entry) => matches(entry, target));
  if (denied) return `${layer} must not import ${denied} ('${specifier}')`;
  return undefined;
}

const imports = {
  meta: {
    type: 'problem',
    docs: { description: 'Keep the layers of src/ apart (docs/ARCHITECTURE.md, "Layer rules")' },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          layer: { type: 'string' },
          allow: { type: 'array', items: { type: 'string' } },
          deny: { type: 'array', items: { type: 'string' } },
          packages: { type: 'boolean' },
        },
        required: ['root', 'layer'],
        additionalProperties: false,
      },
    ],
    messages: { layer: '{{reason}}' },
  },
  create(context) {
    const options = context.options[0];
    const check = (node, source) => {
      if (typeof source !== 'string') return;
      const reason = refusal(options, context.filename, source);
      if (reason) context.report({ node, messageId: 'layer', data: { reason } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
      TSImportType: (node) => check(node, node.source?.value),
    };
  },
};

/** The plugin object for `plugins: { layers }` in a flat config. */
export default { meta: { name: 'dialtone-layers' }, rules: { imports } };
