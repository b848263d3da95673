import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '../..');
const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
// The layer lists of the lint, read from the config so the doc and the rules cannot drift apart.
const cruiser = readFileSync(join(ROOT, '.dependency-cruiser.cjs'), 'utf8');

describe('docs/architecture.md', () => {
  const folders = readdirSync(join(ROOT, 'src'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);

  it('gives every folder of src/ a row in the folder map', () => {
    const map = doc.slice(doc.indexOf('## The folder map'), doc.indexOf('## The layers'));
    const missing = folders.filter((f) => !map.includes(`| \`src/${f}/\` |`));
    expect(missing).toEqual([]);
  });

  it('states the domain order the lint enforces', () => {
    const order = [...cruiser.slice(cruiser.indexOf('const DOMAIN_ORDER'), cruiser.indexOf('];', cruiser.indexOf('const DOMAIN_ORDER'))).matchAll(/\['(\w+)'/g)].map((m) => m[1]);
    expect(order.length).toBeGreaterThan(5);
    const layers = doc.slice(doc.indexOf('## The layers'), doc.indexOf('## Where do I find'));
    const stated = [...layers.matchAll(/`(\w+)` </g)].map((m) => m[1]);
    const last = layers.match(/< `(\w+)`\. A folder imports only/);
    expect([...stated, last?.[1]]).toEqual(order);
  });
});
