import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ErrorReason, errorReasonFromJSON } from '../../gen/messenger/v1/errors';
import { domainOf, GATEWAY_DOMAIN, GRAPH_DOMAIN } from '../../src/errors/failure';
import { GRAPH_CATALOGUE, GRAPH_SUBCODES } from '../../src/errors/graph-catalogue';
import { classifyGraphError } from '../../src/errors/graph-error-mapping';

// The Graph error table of docs/errors.md, row by row.
const table: Array<[string, number, number, boolean | undefined, status, string, boolean]> = [
  ['100 invalid parameter', 100, 0, undefined, status.INVALID_ARGUMENT, 'INVALID_PARAMETER', false],
  ['100 with any subcode', 100, 2018014, undefined, status.INVALID_ARGUMENT, 'INVALID_PARAMETER', false],
  ['100/2018001 no matching user', 100, 2018001, undefined, status.INVALID_ARGUMENT, 'RECIPIENT_NOT_FOUND', false],
  ['100/2018218 no profile available', 100, 2018218, undefined, status.NOT_FOUND, 'USER_PROFILE_NOT_FOUND', false],
  ['551 person unavailable', 551, 0, undefined, status.FAILED_PRECONDITION, 'RECIPIENT_UNAVAILABLE', false],
  ['551/1545041', 551, 1545041, undefined, status.FAILED_PRECONDITION, 'RECIPIENT_UNAVAILABLE', false],
  ['10/2018278 outside window', 10, 2018278, undefined, status.FAILED_PRECONDITION, 'OUTSIDE_MESSAGING_WINDOW', false],
  ['10/2534022 outside window (Instagram)', 10, 2534022, undefined, status.FAILED_PRECONDITION, 'OUTSIDE_MESSAGING_WINDOW', false],
  ['10/2018065 outside window (old)', 10, 2018065, undefined, status.FAILED_PRECONDITION, 'OUTSIDE_MESSAGING_WINDOW', false],
  ['10 other subcode', 10, 2018108, undefined, status.PERMISSION_DENIED, 'PERMISSION_ERROR', false],
  ['10903 cannot reply', 10903, 0, undefined, status.FAILED_PRECONDITION, 'CANNOT_REPLY_TO_ACTIVITY', false],
  ['10900 already replied', 10900, 0, undefined, status.ALREADY_EXISTS, 'ACTIVITY_ALREADY_REPLIED', false],
  ['10904 page messaging disabled', 10904, 0, undefined, status.FAILED_PRECONDITION, 'PAGE_MESSAGING_DISABLED', false],
  ['2022 commerce disabled', 2022, 0, undefined, status.FAILED_PRECONDITION, 'COMMERCE_MESSAGING_DISABLED', false],
  ['190 token invalid', 190, 463, undefined, status.FAILED_PRECONDITION, 'PAGE_ACCESS_TOKEN_INVALID', false],
  ['200 permissions', 200, 0, undefined, status.PERMISSION_DENIED, 'PERMISSION_ERROR', false],
  ['230 permissions', 230, 0, undefined, status.PERMISSION_DENIED, 'PERMISSION_ERROR', false],
  ['368 abusive', 368, 0, undefined, status.PERMISSION_DENIED, 'ACTION_BLOCKED_AS_ABUSIVE', false],
  ['613 rate limit', 613, 0, undefined, status.RESOURCE_EXHAUSTED, 'RATE_LIMITED', true],
  ['4 app rate limit', 4, 0, undefined, status.RESOURCE_EXHAUSTED, 'RATE_LIMITED', true],
  ['17 user rate limit', 17, 0, undefined, status.RESOURCE_EXHAUSTED, 'RATE_LIMITED', true],
  ['32 page rate limit', 32, 0, undefined, status.RESOURCE_EXHAUSTED, 'RATE_LIMITED', true],
  ['80001 pages BUC', 80001, 0, undefined, status.RESOURCE_EXHAUSTED, 'RATE_LIMITED', true],
  ['80006 messenger BUC', 80006, 0, undefined, status.RESOURCE_EXHAUSTED, 'RATE_LIMITED', true],
  ['1200 temporary', 1200, 2018024, undefined, status.UNAVAILABLE, 'TEMPORARY_SEND_FAILURE', true],
  ['2 service unavailable', 2, 0, undefined, status.UNAVAILABLE, 'TEMPORARY_SEND_FAILURE', true],
  ['1 unknown', 1, 0, undefined, status.UNAVAILABLE, 'TEMPORARY_SEND_FAILURE', true],
  ['any code with is_transient', 12345, 0, true, status.UNAVAILABLE, 'TEMPORARY_SEND_FAILURE', true],
  ['other code', 12345, 0, undefined, status.UNKNOWN, 'GRAPH_ERROR', false],
  ['other code, is_transient false', 2018300, 0, false, status.UNKNOWN, 'GRAPH_ERROR', false],
];

describe('classifyGraphError', () => {
  it.each(table)('%s', (_name, code, subcode, transient, grpcCode, reason, retryable) => {
    expect(classifyGraphError(code, subcode, transient)).toEqual({ grpcCode, reason: errorReasonFromJSON(reason), retryable });
  });
});

describe("the ErrorInfo domain of a reason (derived from the catalogue)", () => {
  it('is Graph\'s for every reason a catalogued code or subcode maps to', () => {
    const byCode = [...GRAPH_CATALOGUE.keys()].map((code) => classifyGraphError(code, 0, undefined).reason);
    const bySubcode = [...GRAPH_SUBCODES].flatMap(([subcode, entry]) => (entry.override ? [classifyGraphError(entry.override.code, subcode, undefined).reason] : []));
    for (const reason of [...byCode, ...bySubcode, ...table.map((row) => errorReasonFromJSON(row[5]))]) {
      expect(domainOf(reason), ErrorReason[reason]).toBe(GRAPH_DOMAIN);
    }
  });

  it("is Graph's when Graph sent no error, the gateway's for what the gateway decides", () => {
    for (const reason of [ErrorReason.GRAPH_UNAVAILABLE, ErrorReason.GRAPH_TIMEOUT, ErrorReason.GRAPH_BAD_RESPONSE]) expect(domainOf(reason)).toBe(GRAPH_DOMAIN);
    for (const reason of [ErrorReason.INVALID_REQUEST, ErrorReason.STORE_UNAVAILABLE, ErrorReason.CANCELLED, ErrorReason.INTERNAL]) expect(domainOf(reason)).toBe(GATEWAY_DOMAIN);
  });
});
