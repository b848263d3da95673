import { describe, expect, it } from 'vitest';
import * as semconv from '@opentelemetry/semantic-conventions';
import * as names from '../../src/telemetry/attribute-names';

describe('attribute names', () => {
  it('the stable semantic conventions the gateway copied are the package\'s own', () => {
    const copied = ['ATTR_ERROR_TYPE', 'ATTR_HTTP_REQUEST_METHOD', 'ATTR_HTTP_REQUEST_RESEND_COUNT', 'ATTR_HTTP_RESPONSE_STATUS_CODE', 'ATTR_SERVER_ADDRESS', 'ATTR_SERVER_PORT', 'ATTR_URL_FULL', 'ATTR_URL_PATH', 'ATTR_URL_QUERY'] as const;
    for (const name of copied) expect(names[name], name).toBe(semconv[name]);
  });
});
