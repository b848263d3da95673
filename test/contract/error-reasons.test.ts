import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorReason } from '../../gen/messenger/v1/errors';

// The two error tables of docs/errors.md (Graph's failures, the gateway's own) against the contract,
// and the README's few example rows.
const errorsPage = readFileSync(join(__dirname, '../../docs/errors.md'), 'utf8');
const section = errorsPage.slice(errorsPage.indexOf('## One contract for every language'), errorsPage.indexOf('## Calling from other languages'));
const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
const readmeSection = readme.slice(readme.indexOf('## Errors: one contract'), readme.indexOf('\n## ', readme.indexOf('## Errors: one contract') + 1));

/** The reasons named in the `reason` column of every table of the section. */
function tableReasons(section: string): Set<string> {
  const found = new Set<string>();
  let reasonColumn = -1;
  for (const line of section.split('\n')) {
    if (!line.startsWith('|')) {
      reasonColumn = -1;
      continue;
    }
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (reasonColumn === -1) {
      reasonColumn = cells.indexOf('reason');
      continue;
    }
    if (/^-+$/.test(cells[0])) continue;
    for (const m of (cells[reasonColumn] ?? '').matchAll(/\b[A-Z][A-Z_]{3,}\b/g)) found.add(m[0]);
  }
  return found;
}

const enumNames = Object.keys(ErrorReason).filter((k) => Number.isNaN(Number(k)) && k !== 'ERROR_REASON_UNSPECIFIED' && k !== 'UNRECOGNIZED');

describe('docs/errors.md error tables and the ErrorReason enum', () => {
  it('list the same reasons', () => {
    const inDocs = tableReasons(section);
    expect(inDocs.size).toBeGreaterThan(20);
    expect([...inDocs].sort()).toEqual(enumNames.sort());
  });

  it("the README's example rows name reasons of the enum only", () => {
    const inReadme = tableReasons(readmeSection);
    expect(inReadme.size).toBeGreaterThan(3);
    for (const reason of inReadme) expect(enumNames).toContain(reason);
  });
});
