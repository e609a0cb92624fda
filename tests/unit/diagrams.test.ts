import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagramDocs, stateMachineSources } from '../../support/diagrams.ts';
import { PROJECT_ROOT } from '../../support/project.ts';

describe('the generated diagrams in docs/', () => {
  const docs = diagramDocs();

  it.each(Object.keys(docs))('%s is current (else run npm run diagram)', (path) => {
    let written = '';
    try {
      written = readFileSync(join(PROJECT_ROOT, path), 'utf8');
    } catch {
      // missing: the comparison below fails with the whole expected document
    }
    expect(written, `${path} is stale: run npm run diagram`).toBe(docs[path]);
  });

  it('draws every state of every ASL file', () => {
    for (const source of stateMachineSources()) {
      const mermaid = /```mermaid\n([\s\S]*?)```/.exec(docs[`docs/${source.name}-diagram.md`] ?? '')?.[1] ?? '';
      for (const state of source.graph.states) expect(mermaid).toMatch(new RegExp(`"(⏱ )?${state.name}( \\(|")`));
    }
  });
});
