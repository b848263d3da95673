import { describe, expect, it } from 'vitest';
import { parseGraphError } from '../../src/graph/graph-error';

describe('parseGraphError', () => {
  it('reads the whole envelope', () => {
    const e = parseGraphError({
      error: {
        message: "(#551) This person isn't available right now.", type: 'OAuthException', code: 551,
        error_subcode: 1545041, fbtrace_id: 'AbCdEf', is_transient: false,
        error_user_title: 'Unavailable', error_user_msg: 'Try later', error_data: { blame: 'x' },
      },
    }, 400);
    expect(e).toEqual({
      code: 551, errorSubcode: 1545041, type: 'OAuthException', message: "(#551) This person isn't available right now.",
      fbtraceId: 'AbCdEf', isTransient: false, errorUserTitle: 'Unavailable', errorUserMsg: 'Try later',
      errorData: { blame: 'x' }, httpStatus: 400,
    });
  });

  it('accepts numeric strings and defaults missing fields', () => {
    expect(parseGraphError({ error: { code: '613' } }, 400)).toMatchObject({ code: 613, errorSubcode: 0, message: '', isTransient: undefined });
  });

  it.each([[null], ['text'], [{}], [{ error: 'x' }], [{ error: { code: 'abc' } }], [{ error: { code: 1.5 } }]])('is undefined for %j', (body) => {
    expect(parseGraphError(body, 500)).toBeUndefined();
  });
});
