// The fake Graph's Page setup edges, beside the Send API:
//   POST|GET        /{page}/personas             create, list (paged: limit, after)
//   GET|DELETE      /{persona-id}                read, delete (only ids of personas it made)
//   GET|POST|DELETE /{page}/messenger_profile    read (?fields=), set (merge), delete ({fields})
//   GET|POST|DELETE /{page}/message_templates    list (?name= filters), create, delete (?name=)
// Auth as for sends (token, appsecret_proof when the Page has an app secret). Errors as for
// sends: a magic value (`error-190`, `delay-500`, ...) as a persona's or a template's name,
// and the chaos switchboard's failures and latency of the Page.

import { INSTAGRAM_PROFILE_PROPERTIES } from '../limits/graph-limits';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChaosBoard } from './chaos-board';
import { envelope, invalidParam, type GraphErrorFields } from './graph-errors';
import { isObject } from './json-checks';
import { parseMagic, type Magic } from './magic-recipients';
import type { PageObjects } from './page-objects';
import { decodeParams, readRequestBody } from './read-request-body';
import { answer, perform } from './sandbox-answer';
import { checkAuth, extractToken, type PageSecrets } from './sandbox-auth';
import type { UsageMeter } from './usage-headers';

const PAGE_EDGE = /^\/(?:v\d+\.\d+\/)?([^/]+)\/(personas|messenger_profile|message_templates)\/?$/;
const NODE = /^\/(?:v\d+\.\d+\/)?(\d{1,20})\/?$/;
const PROFILE_FIELDS = new Set(['get_started', 'greeting', 'ice_breakers', 'persistent_menu', 'whitelisted_domains', 'account_linking_url', 'commands', 'home_url']);
const DEFAULT_PAGE_SIZE = 25;

export interface PageRouteContext {
  objects: PageObjects;
  pages: Record<string, PageSecrets>;
  usage: UsageMeter;
  chaos: ChaosBoard;
  /** The Page an id in a path stands for (`me`: the Page of the token). */
  resolvePage(idInPath: string, token: string | undefined): { pageId: string; secrets?: PageSecrets };
  /** The Instagram account linked to a Page (its profile is kept apart from the Page's). */
  instagramOf?(pageId: string): string | undefined;
}

/** Where the parsed body is recorded (the request's entry in the sandbox's `received`). */
export interface BodyRecord {
  body: Record<string, unknown> | undefined;
}

type Target = { kind: 'edge'; id: string; edge: 'personas' | 'messenger_profile' | 'message_templates' } | { kind: 'persona'; id: string };

/** Whether the request is one of these edges; if so it is answered here. */
export function handlePageRoute(req: IncomingMessage, res: ServerResponse, url: URL, record: BodyRecord, ctx: PageRouteContext): Promise<void> | undefined {
  const target = targetOf(url.pathname, ctx.objects);
  if (!target) return undefined;
  return serve(req, res, url, target, record, ctx);
}

function targetOf(pathname: string, objects: PageObjects): Target | undefined {
  const edge = PAGE_EDGE.exec(pathname);
  if (edge) {
    let id: string;
    try {
      id = decodeURIComponent(edge[1]!);
    } catch {
      return undefined;
    }
    return { kind: 'edge', id, edge: edge[2] as 'personas' | 'messenger_profile' | 'message_templates' };
  }
  // A bare id is a persona's only when this sandbox made it, or a magic value; anything else
  // (a PSID's profile) is left to the other routes.
  const node = NODE.exec(pathname);
  if (node && objects.persona(node[1]!)) return { kind: 'persona', id: node[1]! };
  return undefined;
}

async function serve(req: IncomingMessage, res: ServerResponse, url: URL, target: Target, record: BodyRecord, ctx: PageRouteContext): Promise<void> {
  const method = req.method ?? 'GET';
  const parsed = await readRequestBody(req);
  if (parsed.kind === 'aborted') return;
  if (parsed.kind === 'ok') record.body = parsed.body;
  const params = { ...decodeParams(url.searchParams), ...(parsed.kind === 'ok' ? parsed.body : undefined) };
  const token = extractToken(req.headers, params);
  const persona = target.kind === 'persona' ? ctx.objects.persona(target.id) : undefined;
  const { pageId, secrets } = target.kind === 'edge' ? ctx.resolvePage(target.id, token) : { pageId: persona!.pageId, secrets: undefined };
  const headers = ctx.usage.normal(pageId);
  const refuse = (error: GraphErrorFields, status = 400) => answer(res, { kind: 'json', status, body: envelope(error), headers });
  if (parsed.kind === 'invalid') return refuse(parsed.error);
  // A persona id names no Page: any configured Page's token reads it, as a token that manages
  // several Pages would; the gateway, not Graph, keeps Pages apart (persona-ownership.ts).
  const authError = checkAuth(token, params, target.kind === 'edge' ? secrets : anyPageSecrets(token, ctx.pages), Math.floor(Date.now() / 1000));
  if (authError) return refuse(authError);

  const outcome = target.kind === 'persona' ? personaNode(method, persona!, ctx) : pageEdge(method, target.edge, pageId, params, ctx);
  if ('error' in outcome) return refuse(outcome.error, outcome.status);
  const effect = ctx.chaos.apply(pageId, outcome.magic, true);
  // A magic value must not leave a persona or template behind: its effect replaces the change.
  if (effect.magic === undefined) outcome.commit?.();
  await perform(res, effect.magic, { kind: 'json', status: 200, body: outcome.body(), headers }, pageId, ctx.usage);
}

interface Outcome {
  /** The success body, built after commit. */
  body(): unknown;
  /** The change, made only when the call succeeds. */
  commit?(): void;
  magic?: Magic;
}

type Refusal = { error: GraphErrorFields; status?: number };

function personaNode(method: string, persona: { id: string; name: string; profile_picture_url: string }, ctx: PageRouteContext): Outcome | Refusal {
  if (method === 'GET') return { body: () => ({ name: persona.name, profile_picture_url: persona.profile_picture_url, id: persona.id }) };
  if (method === 'DELETE') return { commit: () => ctx.objects.deletePersona(persona.id), body: () => ({ success: true }) };
  return unsupported(method, persona.id);
}

function pageEdge(method: string, edge: 'personas' | 'messenger_profile' | 'message_templates', pageId: string, params: Record<string, unknown>, ctx: PageRouteContext): Outcome | Refusal {
  if (!/^\d{1,20}$/.test(pageId)) return unsupported(method, pageId);
  if (edge === 'personas') return personasEdge(method, pageId, params, ctx);
  if (edge === 'messenger_profile') return profileEdge(method, pageId, params, ctx);
  return templatesEdge(method, pageId, params, ctx);
}

function personasEdge(method: string, pageId: string, params: Record<string, unknown>, ctx: PageRouteContext): Outcome | Refusal {
  if (method === 'GET') return { body: () => paged(ctx.objects.personasOf(pageId).map(({ name, profile_picture_url, id }) => ({ name, profile_picture_url, id })), params) };
  if (method !== 'POST') return unsupported(method, pageId);
  const { name, profile_picture_url: url } = params;
  if (typeof name !== 'string' || name === '' || [...name].length > 50) return { error: invalidParam('Param name must be a non-empty string of at most 50 characters') };
  if (typeof url !== 'string' || !/^https:\/\/\S+$/.test(url)) return { error: invalidParam('Param profile_picture_url must be a valid https URL') };
  let created: { id: string } | undefined;
  return {
    magic: parseMagic(name),
    commit: () => void (created = ctx.objects.addPersona(pageId, name, url)),
    body: () => (created ? { id: created.id } : envelope(invalidParam('Too many personas'))),
  };
}

function profileEdge(method: string, nodeId: string, params: Record<string, unknown>, ctx: PageRouteContext): Outcome | Refusal {
  // `platform=instagram`: the profile of the Instagram account (the linked one on a Page), which
  // has ice breakers and a persistent menu only, and no Get Started button to need.
  const instagram = params.platform === 'instagram';
  const pageId = instagram ? ctx.instagramOf?.(nodeId) ?? nodeId : nodeId;
  if (instagram && method !== 'GET') {
    const names = method === 'DELETE' ? (Array.isArray(params.fields) ? params.fields.map(String) : []) : Object.keys(params).filter((k) => PROFILE_FIELDS.has(k));
    const lacking = names.find((k) => !INSTAGRAM_PROFILE_PROPERTIES.includes(k));
    if (lacking !== undefined) return { error: invalidParam(`Param ${lacking} is not supported for Instagram`) };
  }
  if (method === 'GET') {
    const asked = typeof params.fields === 'string' ? params.fields.split(',').filter((f) => f !== '') : [];
    if (asked.length === 0) return { error: invalidParam('The parameter fields is required') };
    const unknown = asked.find((f) => !PROFILE_FIELDS.has(f));
    if (unknown) return { error: invalidParam(`Param fields[${asked.indexOf(unknown)}] must be one of {${[...PROFILE_FIELDS].join(', ')}}`) };
    return {
      body: () => {
        const profile = ctx.objects.profile(pageId);
        const item = Object.fromEntries(asked.filter((f) => profile[f] !== undefined).map((f) => [f, profile[f]]));
        return { data: Object.keys(item).length > 0 ? [item] : [] };
      },
    };
  }
  if (method === 'DELETE') {
    const fields = params.fields;
    if (!Array.isArray(fields) || fields.length === 0 || !fields.every((f) => typeof f === 'string' && PROFILE_FIELDS.has(f))) {
      return { error: invalidParam('Param fields must be a non-empty array of Messenger Profile properties') };
    }
    if (fields.includes('get_started') && !fields.includes('persistent_menu') && ctx.objects.profile(pageId).persistent_menu !== undefined) {
      return { error: invalidParam('You must delete the persistent menu before deleting the get started button') };
    }
    return { commit: () => ctx.objects.deleteProfile(pageId, fields as string[]), body: () => ({ result: 'success' }) };
  }
  if (method !== 'POST') return unsupported(method, pageId);
  const props = Object.fromEntries(Object.entries(params).filter(([k]) => PROFILE_FIELDS.has(k)));
  if (Object.keys(props).length === 0) return { error: invalidParam('No Messenger Profile property was given') };
  const refusal = checkProfile(props, ctx.objects.profile(pageId), instagram);
  if (refusal) return { error: refusal };
  return { commit: () => ctx.objects.setProfile(pageId, props), body: () => ({ result: 'success' }) };
}

/** The rules Graph enforces on a profile write (the gateway checks them first; this is for other clients). */
function checkProfile(props: Record<string, unknown>, current: Readonly<Record<string, unknown>>, instagram: boolean): GraphErrorFields | undefined {
  if (!instagram && props.persistent_menu !== undefined && props.get_started === undefined && current.get_started === undefined) {
    return invalidParam('Persistent menu requires the get started button to be set');
  }
  for (const key of ['greeting', 'persistent_menu', 'ice_breakers']) {
    const v = props[key];
    if (v === undefined) continue;
    if (!Array.isArray(v) || !v.every(isObject)) return invalidParam(`Param ${key} must be an array of objects`);
    if (key !== 'ice_breakers' && !v.some((i) => i.locale === 'default')) return invalidParam(`Param ${key} must have a default locale`);
  }
  if (Array.isArray(props.greeting) && props.greeting.some((g) => isObject(g) && typeof g.text === 'string' && [...g.text].length > 160)) {
    return invalidParam('Param greeting[0].text must be at most 160 characters');
  }
  if (props.whitelisted_domains !== undefined && (!Array.isArray(props.whitelisted_domains) || props.whitelisted_domains.length > 50)) {
    return invalidParam('Param whitelisted_domains must be an array of at most 50 https URLs');
  }
  return undefined;
}

function templatesEdge(method: string, pageId: string, params: Record<string, unknown>, ctx: PageRouteContext): Outcome | Refusal {
  const name = typeof params.name === 'string' ? params.name : undefined;
  if (method === 'GET') {
    const all = ctx.objects.templatesOf(pageId).filter((t) => name === undefined || t.name === name);
    return { body: () => paged(all, params) };
  }
  if (method === 'DELETE') {
    if (name === undefined) return { error: invalidParam('The parameter name is required') };
    if (!ctx.objects.templatesOf(pageId).some((t) => t.name === name)) return { error: invalidParam(`Message template "${name}" does not exist`) };
    return { magic: parseMagic(name), commit: () => ctx.objects.deleteTemplate(pageId, name), body: () => ({ success: true }) };
  }
  if (method !== 'POST') return unsupported(method, pageId);
  if (name === undefined || !/^[a-z0-9_-]+$/.test(name)) return { error: invalidParam('Param name must be lower case letters, digits and underscores') };
  if (typeof params.language !== 'string' || params.language === '') return { error: invalidParam('The parameter language is required') };
  const components = Array.isArray(params.components) ? params.components : [];
  const library = typeof params.library_template_name === 'string' ? params.library_template_name : undefined;
  if ((components.length > 0) === (library !== undefined)) return { error: invalidParam('Set either components or library_template_name') };
  if (ctx.objects.templatesOf(pageId).some((t) => t.name === name)) return { error: invalidParam(`Message template "${name}" already exists`) };
  let created: { id: string; status: string; category: string } | undefined;
  const category = typeof params.category === 'string' ? params.category : 'UTILITY';
  return {
    magic: parseMagic(name),
    commit: () => void (created = ctx.objects.addTemplate(pageId, {
      name,
      language: params.language as string,
      category,
      components: library !== undefined ? [{ type: 'BODY', text: `(${library} from Meta's library)` }] : components,
      ...(library !== undefined ? { library_template_name: library } : {}),
    })),
    body: () => (created ? { id: created.id, status: created.status, category: created.category } : envelope(invalidParam('Too many templates'))),
  };
}

/** Graph's paged list: `data` and `paging.cursors` (`next` only when there is more). */
function paged<T>(all: readonly T[], params: Record<string, unknown>): { data: T[]; paging?: unknown } {
  const limit = typeof params.limit === 'string' && /^\d{1,4}$/.test(params.limit) ? Math.max(1, Number(params.limit)) : DEFAULT_PAGE_SIZE;
  const from = typeof params.after === 'string' ? decodeCursor(params.after) : 0;
  const data = all.slice(from, from + limit);
  if (all.length === 0) return { data };
  const paging: Record<string, unknown> = { cursors: { before: encodeCursor(from), after: encodeCursor(from + data.length) } };
  if (from + data.length < all.length) paging.next = `https://graph.facebook.com/next?after=${encodeCursor(from + data.length)}`;
  return { data, paging };
}

function encodeCursor(i: number): string {
  return Buffer.from(`i:${i}`).toString('base64url');
}

function decodeCursor(c: string): number {
  const m = /^i:(\d{1,9})$/.exec(Buffer.from(c, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : 0;
}

function unsupported(method: string, id: string): Refusal {
  return { error: invalidParam(`Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`, 33) };
}

/** The secrets of the configured Page whose token this is, if any: a persona id names no Page. */
function anyPageSecrets(token: string | undefined, pages: Record<string, PageSecrets>): PageSecrets | undefined {
  for (const secrets of Object.values(pages)) if (secrets.accessToken !== undefined && secrets.accessToken === token) return secrets;
  return undefined;
}
