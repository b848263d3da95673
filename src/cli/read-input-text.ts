import { readFile } from 'node:fs/promises';
import { UsageError } from './usage-error';

/** The whole text of FILE, or of stdin for `-`. An unreadable file is a usage error. */
export async function readInputText(file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}
