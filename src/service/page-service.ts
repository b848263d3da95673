import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { PageServiceServer } from '../../gen/messenger/v1/page';
import { guardedGraphCall } from './guarded-graph-call';
import { createMessageTemplateSpec, deleteMessageTemplateSpec, exactTemplate, getMessageTemplateSpec, listMessageTemplatesSpec } from './message-template-specs';
import { messengerProfileHandlers } from './messenger-profile-handlers';
import type { PageServiceDeps } from './page-service-deps';
import { personaHandlers } from './persona-handlers';

/** messenger.v1.PageService: personas, the Messenger Profile and utility templates, each RPC one Graph call of the core. */
export function pageServiceHandlers(deps: PageServiceDeps): PageServiceServer & UntypedServiceImplementation {
  return {
    ...personaHandlers(deps),
    ...messengerProfileHandlers(deps),
    listMessageTemplates: guardedGraphCall(deps, listMessageTemplatesSpec, {}),
    getMessageTemplate: guardedGraphCall(deps, getMessageTemplateSpec, { after: exactTemplate }),
    createMessageTemplate: guardedGraphCall(deps, createMessageTemplateSpec, {}),
    deleteMessageTemplate: guardedGraphCall(deps, deleteMessageTemplateSpec, {}),
  };
}
