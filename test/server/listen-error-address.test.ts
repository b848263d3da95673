import { describe, expect, it } from 'vitest';
import { listenErrorOf, shownAddress } from '../../src/server/listen-error';

describe('the busy-port line names the address, never a host name', () => {
  it.each([
    ['127.0.0.1:50051', '127.0.0.1:50051'],
    ['0.0.0.0:8088', '0.0.0.0:8088'],
    ['[::1]:8025', '[::1]:8025'],
    ['localhost:8080', 'localhost:8080'],
    ['gateway.internal:50051', 'port 50051 (host not repeated)'],
    ['EAAB-secret.invalid:443', 'port 443 (host not repeated)'],
  ])('%s → %s', (listen, shown) => {
    expect(shownAddress(listen)).toBe(shown);
  });

  it('in the one line of a bind failure', () => {
    const err = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:8025'), { code: 'EADDRINUSE' });
    expect(listenErrorOf('127.0.0.1:8025', err, 'inbox').message).toMatch(/^cannot listen on 127\.0\.0\.1:8025 \(inbox listen\): the address is already in use \(EADDRINUSE\)/);
  });
});
