import { UtilityComponent_ComponentType, type UtilityTemplate } from '../../gen/messenger/v1/template';
import { checkEnum, checkRequired } from './field-checks';
import type { ViolationList } from './violation-list';

/** The proto names of the `UtilityParameter.kind` cases, keyed by their ts-proto case. */
const PARAMETER_FIELDS = { text: 'text', postbackPayload: 'postback_payload', urlSuffix: 'url_suffix' } as const;

/** A utility message template (`message.template`): name, language and typed components. */
export function checkUtilityTemplate(out: ViolationList, field: string, t: UtilityTemplate): void {
  checkRequired(out, `${field}.name`, t.name);
  checkRequired(out, `${field}.language_code`, t.languageCode);
  for (let i = 0; i < t.components.length; i++) {
    const path = `${field}.components[${i}]`;
    const component = t.components[i];
    checkEnum(out, `${path}.type`, UtilityComponent_ComponentType, component.type, true);
    for (let j = 0; j < component.parameters.length; j++) {
      const kind = component.parameters[j].kind;
      const paramPath = `${path}.parameters[${j}]`;
      if (kind === undefined) out.add(paramPath, 'must set one kind: text, postback_payload or url_suffix');
      else checkRequired(out, `${paramPath}.${PARAMETER_FIELDS[kind.$case]}`, kind.value);
    }
  }
}
