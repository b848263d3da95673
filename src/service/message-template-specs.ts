import { status } from '@grpc/grpc-js';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import type {
  CreateMessageTemplateRequest, CreateMessageTemplateResponse, DeleteMessageTemplateRequest, DeleteMessageTemplateResponse,
  GetMessageTemplateRequest, GetMessageTemplateResponse, ListMessageTemplatesRequest, ListMessageTemplatesResponse, MessageTemplate,
} from '../../gen/messenger/v1/page';
import { gatewayFailure } from '../errors/failure';
import { ATTR } from '../telemetry/attribute-names';
import { validateCreateMessageTemplate, validateListMessageTemplates, validateTemplateRef } from '../validate/validate-message-template';
import { failed, type CallResult } from './call-result';
import type { GraphCallSpec } from './graph-call-spec';
import { listQuery, nextCursorOf } from './persona-specs';

// Utility message templates (messenger-platform/send-messages/utility-messages): every call goes
// through the Page's own edge `/{page-id}/message_templates`, so a template of another Page is
// never reached (Graph scopes the edge to the Page of the token and path).

const pageAttrs = (req: { pageId: string }) => ({ [ATTR.PAGE_ID]: req.pageId });

/** `GET /{page-id}/message_templates?limit=&after=` -> `{data: [...], paging}`. */
export const listMessageTemplatesSpec: GraphCallSpec<ListMessageTemplatesRequest, ListMessageTemplatesResponse> = {
  method: 'ListMessageTemplates',
  pageOf: (req) => req.pageId,
  // Meta documents it for Messenger Pages only.
  instagram: 'unavailable',
  validate: validateListMessageTemplates,
  request: (req) => ({ method: 'GET', path: `/${req.pageId}/message_templates`, query: listQuery(req) }),
  fromGraph: (body) => {
    if (!Array.isArray(body.data)) return { malformed: 'no data in the answer' };
    return { templates: body.data.map(templateOf).filter((t): t is MessageTemplate => t !== undefined), nextCursor: nextCursorOf(body) };
  },
  attributes: pageAttrs,
  rateClass: () => 'default',
  safeToRetry: true,
};

/** `GET /{page-id}/message_templates?name=...` -> the template of exactly that name (Graph's filter may match more). */
export const getMessageTemplateSpec: GraphCallSpec<GetMessageTemplateRequest, GetMessageTemplateResponse> = {
  method: 'GetMessageTemplate',
  pageOf: (req) => req.pageId,
  // Meta documents it for Messenger Pages only.
  instagram: 'unavailable',
  validate: validateTemplateRef,
  request: (req) => ({ method: 'GET', path: `/${req.pageId}/message_templates`, query: { name: req.name } }),
  fromGraph: (body) => {
    if (!Array.isArray(body.data)) return { malformed: 'no data in the answer' };
    const templates = body.data.map(templateOf).filter((t): t is MessageTemplate => t !== undefined);
    return { template: templates[0] };
  },
  attributes: pageAttrs,
  rateClass: () => 'default',
  safeToRetry: true,
};

/** GetMessageTemplate's answer: the template named, or TEMPLATE_NOT_FOUND when the Page's list has none of that name. */
export function exactTemplate(req: GetMessageTemplateRequest, res: GetMessageTemplateResponse): CallResult<GetMessageTemplateResponse> | undefined {
  if (res.template?.name === req.name) return undefined;
  return failed(gatewayFailure(status.NOT_FOUND, ErrorReason.TEMPLATE_NOT_FOUND, `page ${req.pageId} has no message template named ${req.name}`, { nothingSent: false }));
}

/** `POST /{page-id}/message_templates` `{name, language, category, components | library_template_name}` -> `{id, status, category}`. */
export const createMessageTemplateSpec: GraphCallSpec<CreateMessageTemplateRequest, CreateMessageTemplateResponse> = {
  method: 'CreateMessageTemplate',
  pageOf: (req) => req.pageId,
  // Meta documents it for Messenger Pages only.
  instagram: 'unavailable',
  validate: validateCreateMessageTemplate,
  request: (req) => ({
    method: 'POST',
    path: `/${req.pageId}/message_templates`,
    json: {
      name: req.name,
      language: req.language,
      category: req.category || 'UTILITY',
      ...(req.components.length > 0 ? { components: req.components } : {}),
      ...(req.libraryTemplateName !== '' ? { library_template_name: req.libraryTemplateName } : {}),
      ...(req.libraryTemplateButtonInputs.length > 0 ? { library_template_button_inputs: req.libraryTemplateButtonInputs } : {}),
    },
  }),
  fromGraph: (body) => {
    const id = typeof body.id === 'string' ? body.id : typeof body.id === 'number' ? String(body.id) : '';
    if (id === '') return { malformed: 'no id in the answer' };
    return { id, status: str(body.status), category: str(body.category) };
  },
  attributes: pageAttrs,
  rateClass: () => 'default',
  safeToRetry: false,
};

/** `DELETE /{page-id}/message_templates?name=...` -> `{success: true}`. */
export const deleteMessageTemplateSpec: GraphCallSpec<DeleteMessageTemplateRequest, DeleteMessageTemplateResponse> = {
  method: 'DeleteMessageTemplate',
  pageOf: (req) => req.pageId,
  // Meta documents it for Messenger Pages only.
  instagram: 'unavailable',
  validate: validateTemplateRef,
  request: (req) => ({ method: 'DELETE', path: `/${req.pageId}/message_templates`, query: { name: req.name } }),
  fromGraph: (body) => ({ success: body.success === true }),
  attributes: pageAttrs,
  rateClass: () => 'default',
  safeToRetry: true,
};

function templateOf(v: unknown): MessageTemplate | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const id = typeof o.id === 'string' ? o.id : typeof o.id === 'number' ? String(o.id) : '';
  if (id === '') return undefined;
  const components = Array.isArray(o.components) ? o.components.filter((c): c is Record<string, unknown> => typeof c === 'object' && c !== null && !Array.isArray(c)) : [];
  return { id, name: str(o.name), status: str(o.status), category: str(o.category), language: str(o.language), components };
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
