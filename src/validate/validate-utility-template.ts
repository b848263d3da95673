import { UtilityComponent_ComponentType, type UtilityTemplate } from '../../gen/messenger/v1/template';
import { checkCount, checkEnum, checkRequired, MAX_WALKED_ITEMS, walkCount } from './field-checks';
import type { ViolationList } from './violation-list';

/** The proto names of the `UtilityParameter.kind` cases, keyed by their ts-proto case. */
const PARAMETER_FIELDS = { text: 'text', postbackPayload: 'postback_payload', urlSuffix: 'url_suffix' } as const;

/** A utility message template (`message.template`): name, language and typed components. */
export function checkUtilityTemplate(out: ViolationList, field: string, t: UtilityTemplate): void {
  checkRequired(out, `${field}.name`, t.name);
  checkRequired(out, `${field}.language_code`, t.languageCode);
  checkCount(out, `${field}.components`, t.components.length, 0, MAX_WALKED_ITEMS, 'components');
  for (let i = 0; i < walkCount(t.components); i++) {
    const path = `${field}.components[${i}]`;
    const component = t.components[i];
    checkEnum(out, `${path}.type`, UtilityComponent_ComponentType, component.type, true);
    checkCount(out, `${path}.parameters`, component.parameters.length, 0, MAX_WALKED_ITEMS, 'parameters');
    for (let j = 0; j < walkCount(component.parameters); j++) {
      const kind = component.parameters[j].kind;
      const paramPath = `${path}.parameters[${j}]`;
      if (kind === undefined) out.add(paramPath, 'must set one kind: text, postback_payload or url_suffix');
      else checkRequired(out, `${paramPath}.${PARAMETER_FIELDS[kind.$case]}`, kind.value);
    }
  }
}
