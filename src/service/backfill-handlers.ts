import { status, type handleUnaryCall } from '@grpc/grpc-js';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import {
  BackfillState,
  type BackfillConversationRequest, type BackfillConversationResponse, type BackfillPageRequest, type BackfillPageResponse, type BackfillStatusRequest, type BackfillStatusResponse,
} from '../../gen/messenger/v1/history';
import { gatewayFailure, invalidRequest } from '../errors/failure';
import { validateBackfillConversation, validateBackfillPage, validateBackfillStatus } from '../validate/validate-history';
import type { BackfillRecord } from '../conversations/backfill-progress';
import type { BackfillRunner } from './backfill-runner';
import { failed, type CallResult } from './call-result';
import { storeUnavailable } from './graph-call';
import { personIdRule } from './person-id';
import { unaryEdge } from './rpc-edge';
import type { ServiceDeps } from './service-deps';

function backfillEdge<Req extends { pageId: string }, Res extends object>(deps: ServiceDeps, name: string, run: (req: Req) => Promise<CallResult<Res>>): handleUnaryCall<Req, Res> {
  return unaryEdge<Req, Res>(deps, { name, recover: (err, span) => storeUnavailable(deps, name, err, span) }, (req) => req.pageId, (call) => run(call.request));
}

const sinceMs = (since: Date | undefined): number => since?.getTime() ?? 0;

export function backfillConversationHandler(deps: ServiceDeps, runner: BackfillRunner): handleUnaryCall<BackfillConversationRequest, BackfillConversationResponse> {
  const isPersonId = personIdRule(deps.sandbox);
  return backfillEdge(deps, 'BackfillConversation', async (req) => {
    const violations = validateBackfillConversation(req, deps.pages.has, isPersonId, Date.now());
    if (violations.length > 0) return failed(invalidRequest('BackfillConversation request', violations));
    const backfillId = await runner.queue(req.pageId, req.personId, sinceMs(req.since));
    return { ok: true, response: { backfillId }, replayed: false };
  });
}

export function backfillPageHandler(deps: ServiceDeps, runner: BackfillRunner): handleUnaryCall<BackfillPageRequest, BackfillPageResponse> {
  return backfillEdge(deps, 'BackfillPage', async (req) => {
    const violations = validateBackfillPage(req, deps.pages.has, Date.now());
    if (violations.length > 0) return failed(invalidRequest('BackfillPage request', violations));
    const backfillId = await runner.queue(req.pageId, '', sinceMs(req.since));
    return { ok: true, response: { backfillId }, replayed: false };
  });
}

const STATES: Record<BackfillRecord['state'], BackfillState> = {
  running: BackfillState.BACKFILL_STATE_RUNNING,
  done: BackfillState.BACKFILL_STATE_DONE,
  failed: BackfillState.BACKFILL_STATE_FAILED,
};

export function backfillStatusHandler(deps: ServiceDeps, runner: BackfillRunner): handleUnaryCall<BackfillStatusRequest, BackfillStatusResponse> {
  return backfillEdge(deps, 'BackfillStatus', async (req) => {
    const violations = validateBackfillStatus(req, deps.pages.has);
    if (violations.length > 0) return failed(invalidRequest('BackfillStatus request', violations));
    const r = await runner.status(req.backfillId);
    // Another Page's backfill is answered as unknown: its id says nothing to this caller.
    if (!r || r.pageId !== req.pageId) return failed(gatewayFailure(status.NOT_FOUND, ErrorReason.BACKFILL_NOT_FOUND, `page ${req.pageId} has no backfill ${req.backfillId} (finished ones are kept 7 days with Redis, until a restart in memory)`));
    return {
      ok: true,
      replayed: false,
      response: {
        state: STATES[r.state], conversationsDone: r.conversationsDone, messagesStored: r.messagesStored, messagesDuplicate: r.messagesDuplicate,
        graphCalls: r.graphCalls, error: r.error, historyLimited: r.historyLimited, conversationsLimited: r.conversationsLimited ?? 0,
      },
    };
  });
}
