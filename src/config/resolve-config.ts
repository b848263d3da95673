import { DEFAULT_CONFIG, type GatewayConfig } from './gateway-config';
import { listenAddress, loadConfigFile } from './load-config';

export interface ConfigOverrides {
  /** `--config FILE`; falls back to `GATEWAY_CONFIG`. */
  configPath?: string;
  /** `--listen HOST:PORT`; falls back to `GATEWAY_LISTEN`, then the file. */
  listen?: string;
  /** `--sandbox`: use the embedded fake Graph even when pages are configured. */
  sandbox?: boolean;
  /** `--insecure`: allow a non-loopback address without caller authentication. */
  insecure?: boolean;
}

/** The effective config: file (or defaults), then environment, then command-line flags. */
export function resolveConfig(overrides: ConfigOverrides, env: Record<string, string | undefined> = process.env): GatewayConfig {
  const path = overrides.configPath ?? env.GATEWAY_CONFIG;
  const base = path ? loadConfigFile(path, env) : structuredClone(DEFAULT_CONFIG);
  const listen = overrides.listen ?? env.GATEWAY_LISTEN;
  return {
    ...base,
    listen: listen === undefined ? base.listen : listenAddress(listen, overrides.listen ? '--listen' : 'GATEWAY_LISTEN'),
    // Without a page there is nothing real to send for: the sandbox is the only useful mode.
    sandbox: overrides.sandbox === true || base.sandbox || base.pages.length === 0,
    insecure: overrides.insecure === true || base.insecure,
  };
}
