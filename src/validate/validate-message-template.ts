import type { CreateMessageTemplateRequest, DeleteMessageTemplateRequest, GetMessageTemplateRequest, ListMessageTemplatesRequest } from '../../gen/messenger/v1/page';
import { TEMPLATE_NAME_MAX } from '../limits/graph-limits';
import type { FieldViolation } from './field-violation';
import { checkRequired, shown } from './field-checks';
import { checkPageId, type IsPageConfigured } from './validate-page-id';
import { checkListLimit } from './validate-persona';
import { ViolationList } from './violation-list';

// Graph's template names: lower case letters, digits and underscores.
const TEMPLATE_NAME = /^[a-z0-9_]+$/;

/** ListMessageTemplates: the Page and a page size. */
export function validateListMessageTemplates(req: ListMessageTemplatesRequest, isPageConfigured: IsPageConfigured): FieldViolation[] {
  const out = new ViolationList();
  checkPageId(out, 'page_id', req.pageId, isPageConfigured);
  checkListLimit(out, req.limit);
  return out.items;
}

/** GetMessageTemplate and DeleteMessageTemplate: the Page and a template name. */
export function validateTemplateRef(req: GetMessageTemplateRequest | DeleteMessageTemplateRequest, isPageConfigured: IsPageConfigured): FieldViolation[] {
  const out = new ViolationList();
  checkPageId(out, 'page_id', req.pageId, isPageConfigured);
  checkTemplateName(out, req.name);
  return out.items;
}

/** CreateMessageTemplate: a name, a language, and either components (custom) or a library template. */
export function validateCreateMessageTemplate(req: CreateMessageTemplateRequest, isPageConfigured: IsPageConfigured): FieldViolation[] {
  const out = new ViolationList();
  checkPageId(out, 'page_id', req.pageId, isPageConfigured);
  checkTemplateName(out, req.name);
  checkRequired(out, 'language', req.language);
  if (req.category !== '' && req.category !== 'UTILITY') out.add('category', `must be UTILITY or unset (got "${shown(req.category)}")`);
  const custom = req.components.length > 0;
  const library = req.libraryTemplateName !== '';
  if (custom === library) out.add('components', 'set exactly one of components (a custom template) and library_template_name (from Meta\'s library)');
  if (!library && req.libraryTemplateButtonInputs.length > 0) out.add('library_template_button_inputs', 'needs library_template_name');
  return out.items;
}

function checkTemplateName(out: ViolationList, name: string): void {
  if (!checkRequired(out, 'name', name)) return;
  if (name.length > TEMPLATE_NAME_MAX) out.add('name', `must be at most ${TEMPLATE_NAME_MAX} characters (got ${name.length})`);
  else if (!TEMPLATE_NAME.test(name)) out.add('name', `must be lower case letters, digits and underscores (got "${shown(name)}")`);
}
