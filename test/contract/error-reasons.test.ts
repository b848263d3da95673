import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorReason } from '../../gen/messenger/v1/errors';

// The README's two error tables (Graph's failures, the gateway's own) against the contract.
const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Errors: one contract'), readme.indexOf('## Calling from other languages'));

/** The reasons named in the `reason` column of every table of the section. */
function tableReasons(): Set<string> {
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

describe('README error tables and the ErrorReason enum', () => {
  it('list the same reasons', () => {
    const enumNames = Object.keys(ErrorReason).filter((k) => Number.isNaN(Number(k)) && k !== 'ERROR_REASON_UNSPECIFIED' && k !== 'UNRECOGNIZED');
    const inReadme = tableReasons();
    expect(inReadme.size).toBeGreaterThan(20);
    expect([...inReadme].sort()).toEqual(enumNames.sort());
  });
});
