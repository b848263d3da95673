import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ServerCredentials } from '@grpc/grpc-js';
import type { GatewayConfig } from '../config/gateway-config';
import { ConfigError } from '../config/load-config';

/** Plaintext, TLS, or mutual TLS (client certificates checked against `clientCaFile`). */
export function serverCredentials(tls: GatewayConfig['tls']): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  const read = (file: string, key: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConfigError(key, `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  const ca = tls.clientCaFile ? read(tls.clientCaFile, 'tls.clientCaFile') : null;
  const cert = read(tls.certFile, 'tls.certFile');
  const key = read(tls.keyFile, 'tls.keyFile');
  // Each file is checked on its own, so the error names the key; OpenSSL's reason quotes no content.
  checkPem('tls.certFile', 'a PEM certificate', () => createSecureContext({ cert }));
  checkPem('tls.keyFile', 'a PEM private key', () => createSecureContext({ key }));
  checkPem('tls.keyFile', 'the private key of tls.certFile', () => createSecureContext({ cert, key }));
  if (ca) checkPem('tls.clientCaFile', 'PEM CA certificates', () => createSecureContext({ ca }));
  return ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], ca !== null);
}

function checkPem(key: string, what: string, load: () => unknown): void {
  try {
    load();
  } catch (err) {
    const reason = /routines::([a-z0-9 _-]+)/i.exec(err instanceof Error ? err.message : '')?.[1] ?? 'unreadable';
    throw new ConfigError(key, `does not hold ${what} (${reason}): point it at the right file`);
  }
}

/** Whether a `host:port` listen address is reachable from this machine only. */
export function isLoopback(listen: string): boolean {
  const host = listen.slice(0, listen.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A listen address the secure defaults refuse: reachable from the network with nobody authenticated. */
export class InsecureListenError extends Error {
  constructor(readonly listen: string) {
    super(
      `refusing to listen on a non-loopback address (listen) with no caller authentication: whoever reaches this port could message every customer of every page. ` +
        'Configure "callers" (API keys or mTLS), listen on 127.0.0.1, or pass --insecure (config "insecure": true) if something else guards the port.',
    );
    this.name = 'InsecureListenError';
  }
}
