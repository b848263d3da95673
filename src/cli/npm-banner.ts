/**
 * `npm run X` prints its `> pkg@version X` banner on stdout before the command runs, so a pipe
 * (`npm run send -- … | jq`) gets it ahead of the JSON. Nothing the command does can take it back;
 * `npm run -s X` (npm's --silent) leaves it out. When npm has just put it into a pipe or a file,
 * this says so on stderr, once, naming the command to use.
 */
export function npmBannerHint(command: string, env: NodeJS.ProcessEnv = process.env, stdoutIsTty = process.stdout.isTTY === true): string | undefined {
  if (env.npm_lifecycle_event !== command || stdoutIsTty) return undefined;
  // --silent exports loglevel=silent; --json moves the banner to stderr (npm 10 and 11).
  if (env.npm_config_loglevel === 'silent' || env.npm_config_json === 'true') return undefined;
  return `${command}: npm printed its "> ${env.npm_package_name ?? 'package'}@${env.npm_package_version ?? ''} ${command}" banner on stdout ahead of the output; in a pipe or a file, use npm run -s ${command} -- … (-s: npm prints nothing of its own)\n`;
}
