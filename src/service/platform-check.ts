import { status } from '@grpc/grpc-js';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import { gatewayFailure, invalidRequest, notSupportedOnInstagram, type Failure } from '../errors/failure';
import type { GraphCallSpec } from './graph-call-spec';
import type { ServiceDeps } from './service-deps';

/**
 * Every rule a request breaks, its account's platform's included, as the failure to answer with;
 * undefined when it may go to Graph. An RPC with no Instagram counterpart is refused for an
 * Instagram account before anything else is looked at.
 */
export function requestFailure<Req, Res>(deps: Pick<ServiceDeps, 'pages'>, spec: GraphCallSpec<Req, Res>, req: Req): Failure | undefined {
  const platform = deps.pages.platformOf(spec.pageOf(req));
  const violations = spec.validate(req, deps.pages.has, platform);
  const name = spec.requestName ?? `${spec.method} request`;
  if (platform === 'instagram' && spec.instagram !== undefined) {
    if (spec.instagram === 'unavailable') return notAvailableOnInstagram(spec.method, spec.pageOf(req));
    const unsupported = spec.instagram(req);
    if (unsupported.length > 0) return notSupportedOnInstagram(name, [...violations, ...unsupported], unsupported.length);
  }
  if (platform === 'messenger' && spec.messenger) violations.push(...spec.messenger(req));
  return violations.length > 0 ? invalidRequest(name, violations) : undefined;
}

/** UNIMPLEMENTED NOT_AVAILABLE_ON_INSTAGRAM: Meta has no such call for Instagram accounts. */
export function notAvailableOnInstagram(method: string, accountId: string): Failure {
  return gatewayFailure(status.UNIMPLEMENTED, ErrorReason.NOT_AVAILABLE_ON_INSTAGRAM,
    `${method} does not exist for Instagram accounts (account ${accountId} is on Instagram): Meta offers it for Messenger Pages only; nothing was sent`,
    { metadata: { platform: 'instagram', account_id: accountId } });
}
