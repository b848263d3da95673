import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { DeleteMessengerProfileRequest, DeleteMessengerProfileResponse, GetMessengerProfileRequest, GetMessengerProfileResponse, SetMessengerProfileRequest, SetMessengerProfileResponse } from '../../gen/messenger/v1/page';
import { loadConfigFile } from '../config/load-config';
import { profileAsCodeProblems } from '../config/profile-as-code';
import { failureFromStatus } from '../errors/decode-status-details';
import { reasonName } from '../errors/failure';
import { formatPlan } from '../graph/messenger-profile-plan';
import type { CallResult } from '../service/call-result';
import { applyProfile, type ProfilePort } from '../service/profile-apply';
import { EXIT, EXIT_CODES_HELP } from './exit-codes';
import { PageCalls } from './page-service-client';
import { reportFailedCall, exitCodeOf, isServiceError } from './report-call-error';
import { UsageError } from './usage-error';
import { Status } from '../../gen/google/rpc/status';
import { STATUS_DETAILS_KEY } from '../errors/status-encoder';
import type { ServiceError } from '@grpc/grpc-js';

export const PROFILE_USAGE = `Usage: npm run -s profile -- --page PAGE_ID (--diff | --apply) [--file PROFILE.json | --config GATEWAY.json]
                            [--api-key KEY] [--target HOST:PORT] [--timeout-ms MS (15000)]

The Messenger Profile as code. Reads the Page's live profile through the gateway
(GetMessengerProfile), compares it with the profile as code, and:
  --diff   prints the plan (what would be added, changed, removed) and writes nothing, like terraform plan;
  --apply  writes only what differs: one SetMessengerProfile for what is added or changed, one
           DeleteMessengerProfile for what is removed (a property set to null in the file).
The profile as code is Graph's own JSON (paste Meta's examples): --file, else the Page's
messengerProfile in the gateway's config (--config, else GATEWAY_CONFIG). Properties not named are
left as they are. Every call counts against the Page's budget (10 per 10 minutes): a --diff costs
one, an --apply one to three.
Prints {"page", "changes", "writes", "applied", "plan"} as JSON on stdout; the plan as text on stderr.
--target defaults to GATEWAY_TARGET, else 127.0.0.1:50051; --api-key to GATEWAY_API_KEY.

${EXIT_CODES_HELP}`;

/** `profile`: the profile-as-code loop from the shell. Returns the exit code. */
export async function runProfile(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        page: { type: 'string' }, diff: { type: 'boolean' }, apply: { type: 'boolean' }, file: { type: 'string' }, config: { type: 'string' },
        'api-key': { type: 'string' }, target: { type: 'string' }, 'timeout-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${PROFILE_USAGE}\n`);
    return EXIT.OK;
  }
  const pageId = values.page;
  if (!pageId || !/^\d+$/.test(pageId)) throw new UsageError('--page PAGE_ID (numeric) is required');
  if (values.diff === values.apply) throw new UsageError('give exactly one of --diff and --apply');
  const desired = desiredProfile(pageId, values.file, values.config ?? process.env.GATEWAY_CONFIG);
  const calls = new PageCalls(values.target ?? process.env.GATEWAY_TARGET ?? '127.0.0.1:50051', values['api-key'] ?? process.env.GATEWAY_API_KEY, Number(values['timeout-ms'] ?? 15_000));
  try {
    const outcome = await applyProfile(grpcPort(calls, pageId), pageId, desired, values.apply === true);
    if (outcome.plan) process.stderr.write(`${formatPlan(pageId, outcome.plan)}\n`);
    if (outcome.failure) {
      const f = outcome.failure;
      process.stderr.write(`${JSON.stringify({ code: f.code, reason: reasonName(f.reason), message: f.message, retryAfterMs: f.retryAfterMs, fieldViolations: f.violations?.map((v) => `${v.field}: ${v.description}`) }, null, 2)}\n`);
      return EXIT.CALL_FAILED;
    }
    const plan = outcome.plan!;
    process.stdout.write(`${JSON.stringify({ page: pageId, changes: plan.changes, writes: plan.writes, applied: outcome.applied, plan: formatPlan(pageId, plan) }, null, 2)}\n`);
    return EXIT.OK;
  } catch (err) {
    return reportFailedCall(err, calls.target);
  } finally {
    calls.close();
  }
}

function desiredProfile(pageId: string, file: string | undefined, configPath: string | undefined): Record<string, unknown> {
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new UsageError(`--file ${file}: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`--file ${file}: must hold a JSON object in Graph's Messenger Profile shape`);
    // The config's check: a misspelt property or a wrong type is refused, not planned as "up to date".
    const problems = profileAsCodeProblems(parsed);
    if (problems.length > 0) throw new UsageError(`--file ${file}: ${problems.join('; ')}`);
    return parsed as Record<string, unknown>;
  }
  if (!configPath) throw new UsageError('give --file PROFILE.json, or --config GATEWAY.json (or GATEWAY_CONFIG) with pages[].messengerProfile');
  const page = loadConfigFile(configPath).pages.find((p) => p.id === pageId);
  if (!page?.messengerProfile) throw new UsageError(`page ${pageId} has no messengerProfile in ${configPath}`);
  return page.messengerProfile;
}

/** The loop over gRPC: a gateway's error becomes the failure it encodes; no connection is thrown (exit 3). */
function grpcPort(calls: PageCalls, pageId: string): ProfilePort {
  const m = calls.methods;
  const run = async <Req, Res>(method: (req: Req, md: never, opts: never, cb: never) => unknown, req: Req): Promise<CallResult<Res>> => {
    try {
      return { ok: true, response: await calls.call<Req, Res>(method as never, req), replayed: false };
    } catch (err) {
      if (!isServiceError(err) || exitCodeOf(err) === EXIT.UNREACHABLE) throw err;
      return { ok: false, failure: failureOf(err), replayed: false };
    }
  };
  return {
    read: async () => {
      const r = await run<GetMessengerProfileRequest, GetMessengerProfileResponse>(m.getMessengerProfile, { pageId, fields: [] });
      return r.ok ? { ...r, response: r.response.profile ?? { greeting: [], iceBreakers: [], persistentMenu: [], whitelistedDomains: [], accountLinkingUrl: '', commands: [] } } : r;
    },
    write: (req) => run<SetMessengerProfileRequest, SetMessengerProfileResponse>(m.setMessengerProfile, req),
    remove: (fields) => run<DeleteMessengerProfileRequest, DeleteMessengerProfileResponse>(m.deleteMessengerProfile, { pageId, fields }),
  };
}

function failureOf(err: ServiceError) {
  const bin = err.metadata?.get(STATUS_DETAILS_KEY)[0];
  const st = Buffer.isBuffer(bin) ? Status.decode(bin) : { code: err.code, message: err.details, details: [] };
  return failureFromStatus(st);
}
