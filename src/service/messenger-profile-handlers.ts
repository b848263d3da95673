import type { handleUnaryCall } from '@grpc/grpc-js';
import type {
  DeleteMessengerProfileRequest, DeleteMessengerProfileResponse, GetMessengerProfileRequest, GetMessengerProfileResponse,
  SetMessengerProfileRequest, SetMessengerProfileResponse,
} from '../../gen/messenger/v1/page';
import { guardedGraphCall } from './guarded-graph-call';
import { deleteMessengerProfileSpec, getMessengerProfileSpec, setMessengerProfileSpec } from './messenger-profile-specs';
import type { PageServiceDeps } from './page-service-deps';
import { takeProfileBudget } from './profile-budget-guard';

/** The Messenger Profile RPCs: each takes one call of the Page's budget before Graph, or is refused without calling it. */
export function messengerProfileHandlers(deps: PageServiceDeps): {
  getMessengerProfile: handleUnaryCall<GetMessengerProfileRequest, GetMessengerProfileResponse>;
  setMessengerProfile: handleUnaryCall<SetMessengerProfileRequest, SetMessengerProfileResponse>;
  deleteMessengerProfile: handleUnaryCall<DeleteMessengerProfileRequest, DeleteMessengerProfileResponse>;
} {
  const budgeted = { before: (req: { pageId: string }) => takeProfileBudget(deps.profileBudget, req.pageId) };
  return {
    getMessengerProfile: guardedGraphCall(deps, getMessengerProfileSpec, budgeted),
    setMessengerProfile: guardedGraphCall(deps, setMessengerProfileSpec, budgeted),
    deleteMessengerProfile: guardedGraphCall(deps, deleteMessengerProfileSpec, budgeted),
  };
}
