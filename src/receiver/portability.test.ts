/**
 * The receiver must run on fetch runtimes (Deno, Bun, Workers): at run time it may import only
 * its own modules. Node and Fastify appear as type imports only, which compile away.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('.', import.meta.url));
const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

describe('runtime imports of src/receiver', () => {
  it.each(sources)('%s imports only sibling modules at run time', (file) => {
    const text = readFileSync(`${dir}/${file}`, 'utf8');
    // Every import or re-export statement, with its whole (possibly multi-line) clause.
    const statements = [...text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+'([^']+)';/gms)].map((m) => ({
      statement: m[0],
      from: m[1]!,
    }));
    const runtime = statements.filter((s) => !/^(?:import|export)\s+type\s/.test(s.statement) && !s.from.startsWith('./'));
    expect(runtime.map((s) => s.from)).toEqual([]);
  });

  it('uses no Node globals (Buffer, process, require) outside tests', () => {
    for (const file of sources) {
      const code = readFileSync(`${dir}/${file}`, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect(code, file).not.toMatch(/\b(?:Buffer|process|require)\s*[.(]/);
    }
  });
});
