import { DEFAULT_CONFIG, SANDBOX_INBOX_LISTEN, SANDBOX_WEBHOOK, type GatewayConfig } from './gateway-config';
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
  /** `--webhook-listen HOST:PORT`: where the webhook listener binds (sandbox default 127.0.0.1:8088). */
  webhookListen?: string;
  /** `--inbox-listen HOST:PORT`: where the sandbox inbox binds (sandbox mode only; default 127.0.0.1:8025). */
  inboxListen?: string;
}

/** The effective config: file (or defaults), then environment, then command-line flags. */
export function resolveConfig(overrides: ConfigOverrides, env: Record<string, string | undefined> = process.env): GatewayConfig {
  const path = overrides.configPath ?? env.GATEWAY_CONFIG;
  const base = path ? loadConfigFile(path, env) : structuredClone(DEFAULT_CONFIG);
  const listen = overrides.listen ?? env.GATEWAY_LISTEN;
  // Without a page there is nothing real to send for: the sandbox is the only useful mode.
  const sandbox = overrides.sandbox === true || base.sandbox || base.pages.length === 0;
  // In sandbox mode the webhook listener runs by default (on loopback, with well-known secrets),
  // so that the sandbox's customer can reach StreamEvents consumers.
  let webhook = base.webhook ?? (sandbox ? { ...SANDBOX_WEBHOOK } : undefined);
  const webhookListen = overrides.webhookListen ?? env.GATEWAY_WEBHOOK_LISTEN;
  if (webhook && webhookListen !== undefined) {
    webhook = { ...webhook, listen: listenAddress(webhookListen, overrides.webhookListen ? '--webhook-listen' : 'GATEWAY_WEBHOOK_LISTEN') };
  }
  // The inbox shows what the sandbox was sent: only ever in sandbox mode, never with real pages.
  const inboxListen = overrides.inboxListen ?? env.GATEWAY_INBOX_LISTEN;
  const inbox = sandbox
    ? { listen: inboxListen === undefined ? SANDBOX_INBOX_LISTEN : listenAddress(inboxListen, overrides.inboxListen ? '--inbox-listen' : 'GATEWAY_INBOX_LISTEN') }
    : undefined;
  return {
    ...base,
    inbox,
    listen: listen === undefined ? base.listen : listenAddress(listen, overrides.listen ? '--listen' : 'GATEWAY_LISTEN'),
    sandbox,
    insecure: overrides.insecure === true || base.insecure,
    webhook,
  };
}
