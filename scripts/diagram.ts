import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseCommandLine } from '../support/cli.ts';
import { diagramDocs } from '../support/diagrams.ts';
import { PROJECT_ROOT } from '../support/project.ts';

/**
 * `npm run diagram`: writes docs/architecture.md (from template.yaml) and
 * docs/<machine>-diagram.md (from each statemachines/*.asl.json) as Mermaid.
 * `npm run diagram -- --check` exits 1 when a written document is stale.
 */

const { values } = parseCommandLine(
  { name: 'npm run diagram', usage: 'usage: npm run diagram [-- --check]' },
  { options: { check: { type: 'boolean', default: false } } },
);
const stale: string[] = [];
for (const [path, content] of Object.entries(diagramDocs())) {
  const target = join(PROJECT_ROOT, path);
  let current: string | undefined;
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === content) continue;
  if (values.check) {
    stale.push(path);
    continue;
  }
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  console.log(`wrote ${path}`);
}
if (stale.length > 0) {
  console.error(`stale: ${stale.join(', ')}; run npm run diagram`);
  process.exitCode = 1;
}
