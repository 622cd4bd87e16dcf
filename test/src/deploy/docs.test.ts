// docs/: every page is linked from the README, every relative link resolves,
// the flag reference names every flag, and annotations.md names every
// annotation the code reads (so a new annotation cannot go undocumented).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { flagDefs } from '../../../src/config.ts';
import { flagsMarkdown } from '../../../src/deploy/docs.ts';
import { repoRoot } from './load.ts';

const read = (rel: string): string => readFileSync(join(repoRoot, rel), 'utf8');
const pages = readdirSync(join(repoRoot, 'docs')).filter((f) => f.endsWith('.md'));

describe('docs', () => {
  it('the README links every page of docs/', () => {
    const readme = read('README.md');
    assert.ok(pages.length >= 8);
    for (const p of pages) assert.ok(readme.includes(`(docs/${p})`), `README does not link docs/${p}`);
  });

  it('relative links and paths named in the guides exist', () => {
    for (const rel of [...pages.map((p) => `docs/${p}`), 'deploy/README.md', 'README.md']) {
      const text = read(rel);
      for (const m of text.matchAll(/\]\(([^)#:]+)(#[^)]*)?\)/g)) {
        const target = join(repoRoot, dirname(rel), m[1] ?? '');
        assert.ok(existsSync(target), `${rel}: link ${m[1]} is broken`);
      }
      for (const m of text.matchAll(/`((?:src|deploy|docs|routes|services|firewall)\/[\w./-]+\.(?:ts|md|yaml|json|sh))`/g)) {
        assert.ok(existsSync(join(repoRoot, m[1] ?? '')), `${rel}: ${m[1]} does not exist`);
      }
    }
  });

  it('flags.md documents every flag with its default (and a new flag changes it)', () => {
    const doc = read('docs/flags.md');
    for (const d of flagDefs) assert.ok(doc.includes(`\`--${d.name}`) && doc.includes(`\`${d.defaultText.replace(/\|/g, '\\|')}\``), d.name);
    assert.equal(flagsMarkdown(), doc);
  });

  it('annotations.md names every annotation and label the controllers read', () => {
    const doc = read('docs/annotations.md');
    const sources = ['routes/annotations.ts', 'services/model.ts'].map(read).join('\n');
    const names = new Set([...sources.matchAll(/'((?:kube-router\.io|service\.kubernetes\.io)\/[a-z0-9.-]+)'/g)].map((m) => m[1] ?? ''));
    assert.ok(names.size >= 20, [...names].join(' '));
    const short = (n: string): string[] => [n, `.${n.split('.').pop() ?? ''}`];
    const missing = [...names].filter((n) => !short(n).some((s) => doc.includes(s)));
    assert.deepEqual(missing, []);
  });
});
