import { parseArgs } from 'node:util';
import type { CreatePersonaRequest, CreatePersonaResponse, DeletePersonaRequest, DeletePersonaResponse, GetPersonaRequest, GetPersonaResponse, ListPersonasRequest, ListPersonasResponse } from '../../gen/messenger/v1/page';
import { EXIT, EXIT_CODES_HELP } from './exit-codes';
import { PageCalls } from './page-service-client';
import { reportFailedCall } from './report-call-error';
import { UsageError } from './usage-error';

export const PERSONA_USAGE = `Usage: npm run -s persona -- create --page PAGE_ID --name NAME --picture HTTPS_URL
       npm run -s persona -- list   --page PAGE_ID [--limit N] [--after CURSOR]
       npm run -s persona -- get    --page PAGE_ID --id PERSONA_ID
       npm run -s persona -- delete --page PAGE_ID --id PERSONA_ID
Common flags: [--api-key KEY] [--target HOST:PORT] [--timeout-ms MS (15000)]

Personas of a Page through the gateway (PageService): a persona's id goes on a send
(\`persona_id\`) so that the customer sees the agent's name and picture. Prints the response as
JSON on stdout ({"personaId"} for create; {"personas", "nextCursor"} for list), or the error with
its details decoded as JSON on stderr. --target defaults to GATEWAY_TARGET, else 127.0.0.1:50051; --api-key to
GATEWAY_API_KEY.

${EXIT_CODES_HELP}`;

const ACTIONS = ['create', 'list', 'get', 'delete'] as const;

/** `persona`: create, list, read or delete a Page's personas. Returns the exit code. */
export async function runPersona(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        page: { type: 'string' }, name: { type: 'string' }, picture: { type: 'string' }, id: { type: 'string' }, limit: { type: 'string' }, after: { type: 'string' },
        'api-key': { type: 'string' }, target: { type: 'string' }, 'timeout-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${PERSONA_USAGE}\n`);
    return EXIT.OK;
  }
  const action = positionals[0] as (typeof ACTIONS)[number] | undefined;
  if (!action || !ACTIONS.includes(action) || positionals.length > 1) throw new UsageError(`give one action: ${ACTIONS.join(', ')}`);
  const pageId = values.page ?? '';
  if (!pageId) throw new UsageError('--page PAGE_ID is required');
  const calls = new PageCalls(values.target ?? process.env.GATEWAY_TARGET ?? '127.0.0.1:50051', values['api-key'] ?? process.env.GATEWAY_API_KEY, Number(values['timeout-ms'] ?? 15_000));
  const m = calls.methods;
  try {
    let res: object;
    if (action === 'create') {
      if (values.name === undefined || values.picture === undefined) throw new UsageError('create needs --name and --picture');
      res = await calls.call<CreatePersonaRequest, CreatePersonaResponse>(m.createPersona, { pageId, name: values.name, profilePictureUrl: values.picture });
    } else if (action === 'list') {
      const limit = values.limit === undefined ? 0 : Number(values.limit);
      if (!Number.isInteger(limit)) throw new UsageError('--limit must be a whole number');
      res = await calls.call<ListPersonasRequest, ListPersonasResponse>(m.listPersonas, { pageId, limit, after: values.after ?? '' });
    } else {
      if (values.id === undefined) throw new UsageError(`${action} needs --id PERSONA_ID`);
      res = action === 'get'
        ? await calls.call<GetPersonaRequest, GetPersonaResponse>(m.getPersona, { pageId, personaId: values.id })
        : await calls.call<DeletePersonaRequest, DeletePersonaResponse>(m.deletePersona, { pageId, personaId: values.id });
    }
    process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
    return EXIT.OK;
  } catch (err) {
    return reportFailedCall(err, calls.target);
  } finally {
    calls.close();
  }
}
