import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * The flags of a client command: unknown flags and stray arguments are usage errors. Run by
 * `npm run COMMAND` without `--`, npm keeps the flags for itself (and hands them over as
 * `npm_config_*` variables) and passes on only their values: the error then says so.
 */
export function parseFlags<T extends Options>(command: string, argv: string[], options: T) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(withNpmHint(command, (err as Error).message, options, false));
  }
  const stray = parsed.positionals[0];
  if (stray !== undefined) throw new UsageError(withNpmHint(command, `unexpected argument ${JSON.stringify(stray)}: every value follows its flag`, options, true));
  return parsed.values;
}

/**
 * A usage error's text, plus "did you forget `--`?" when run by `npm run COMMAND` with a stray
 * argument or with some of the command's flags taken by npm (npm also expands a prefix of its own
 * settings, `--to` into `--token-description`, so not every taken flag shows).
 */
export function withNpmHint(command: string, message: string, options: Options, stray: boolean, env: NodeJS.ProcessEnv = process.env): string {
  if (env.npm_lifecycle_event !== command) return message;
  const taken = Object.keys(options).filter((name) => env[`npm_config_${name.replace(/-/g, '_')}`] !== undefined);
  if (!stray && taken.length === 0) return message;
  const which = taken.length ? ` (it took --${taken.join(', --')})` : '';
  return `${message}; did you forget \`--\`? npm keeps the flags before it for itself${which}: npm run ${command} -- ${taken.length ? `--${taken[0]} …` : '--help'}`;
}
