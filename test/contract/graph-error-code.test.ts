import { describe, expect, it } from 'vitest';
import { GraphError, GraphErrorCode, GraphErrorSubcode } from '../../gen/messenger/v1/errors';

// The seed's error table (page-messages-endpoint) and the other Send API codes of the
// reference: enum numbers must equal Graph's own codes.
const graphCodes: Array<[keyof typeof GraphErrorCode, number]> = [
  ['GRAPH_ERROR_CODE_PERSON_UNAVAILABLE', 551],
  ['GRAPH_ERROR_CODE_INVALID_PARAMETER', 100],
  ['GRAPH_ERROR_CODE_COMMERCE_MESSAGES_DISABLED', 2022],
  ['GRAPH_ERROR_CODE_RATE_LIMIT_EXCEEDED', 613],
  ['GRAPH_ERROR_CODE_CANNOT_REPLY_TO_ACTIVITY', 10903],
  ['GRAPH_ERROR_CODE_ACTION_DEEMED_ABUSIVE', 368],
  ['GRAPH_ERROR_CODE_INVALID_ACCESS_TOKEN', 190],
  ['GRAPH_ERROR_CODE_ACTIVITY_ALREADY_REPLIED', 10900],
  ['GRAPH_ERROR_CODE_PERMISSIONS_ERROR', 200],
  ['GRAPH_ERROR_CODE_PAGE_MESSAGES_DISABLED', 10904],
  ['GRAPH_ERROR_CODE_UNKNOWN', 1],
  ['GRAPH_ERROR_CODE_SERVICE_UNAVAILABLE', 2],
  ['GRAPH_ERROR_CODE_APP_RATE_LIMIT', 4],
  ['GRAPH_ERROR_CODE_USER_ACTION_RATE_LIMIT', 9],
  ['GRAPH_ERROR_CODE_PERMISSION_DENIED', 10],
  ['GRAPH_ERROR_CODE_USER_RATE_LIMIT', 17],
  ['GRAPH_ERROR_CODE_PAGE_RATE_LIMIT', 32],
  ['GRAPH_ERROR_CODE_PAGES_MESSAGING_PERMISSION', 230],
  ['GRAPH_ERROR_CODE_APP_LIMIT_REACHED', 341],
  ['GRAPH_ERROR_CODE_TEMPORARY_SEND_FAILURE', 1200],
  ['GRAPH_ERROR_CODE_INVALID_ACCOUNT_LINKING_TOKEN', 10303],
  ['GRAPH_ERROR_CODE_PAGES_BUC_RATE_LIMIT', 80001],
  ['GRAPH_ERROR_CODE_INSTAGRAM_BUC_RATE_LIMIT', 80002],
  ['GRAPH_ERROR_CODE_MESSENGER_BUC_RATE_LIMIT', 80006],
];

describe('GraphErrorCode', () => {
  it.each(graphCodes)('%s is Graph code %i', (name, code) => {
    expect(GraphErrorCode[name]).toBe(code);
  });

  it('has no value that is not a Graph code listed here', () => {
    const numbers = Object.values(GraphErrorCode).filter((v): v is number => typeof v === 'number' && v > 0);
    expect(numbers.sort((a, b) => a - b)).toEqual(graphCodes.map(([, c]) => c).sort((a, b) => a - b));
  });

  it('subcode numbers are the Graph subcodes', () => {
    expect(GraphErrorSubcode.GRAPH_ERROR_SUBCODE_NO_MATCHING_USER).toBe(2018001);
    expect(GraphErrorSubcode.GRAPH_ERROR_SUBCODE_OUTSIDE_WINDOW).toBe(2018278);
    expect(GraphErrorSubcode.GRAPH_ERROR_SUBCODE_OUTSIDE_WINDOW_LEGACY).toBe(2018065);
    expect(GraphErrorSubcode.GRAPH_ERROR_SUBCODE_MESSAGE_AND_SENDER_ACTION).toBe(2018014);
  });

  it('keeps a code the gateway does not name (open enum) through the wire', () => {
    const err = GraphError.fromPartial({ code: 2018300 as GraphErrorCode, errorSubcode: 7, fbtraceId: 'AbC' });
    const back = GraphError.decode(GraphError.encode(err).finish());
    expect(back.code).toBe(2018300);
    expect(back.errorSubcode).toBe(7);
  });
});
