import { readFileSync } from 'node:fs';
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
  return ServerCredentials.createSsl(ca, [{ cert_chain: read(tls.certFile, 'tls.certFile'), private_key: read(tls.keyFile, 'tls.keyFile') }], ca !== null);
}

/** Whether a `host:port` listen address is reachable from this machine only. */
export function isLoopback(listen: string): boolean {
  const host = listen.slice(0, listen.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A listen address the secure defaults refuse: reachable from the network with nobody authenticated. */
export class InsecureListenError extends Error {
  constructor(listen: string) {
    super(
      `refusing to listen on ${listen} with no caller authentication: whoever reaches this port could message every customer of every page. ` +
        'Configure "callers" (API keys or mTLS), listen on 127.0.0.1, or pass --insecure (config "insecure": true) if something else guards the port.',
    );
    this.name = 'InsecureListenError';
  }
}
