import { ConfigError } from '../config/load-config';
import { resolveConfig, type ConfigOverrides } from '../config/resolve-config';
import { createLogger } from '../log/logger';
import { startGateway } from '../server/gateway-server';
import { InsecureListenError } from '../server/server-credentials';
import { stopTelemetry } from '../telemetry/start-telemetry';

/** `serve`: runs the gateway until SIGTERM/SIGINT, then drains and exits 0. */
export async function serve(overrides: ConfigOverrides): Promise<void> {
  let config;
  try {
    config = resolveConfig(overrides);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.log.level);
  let gateway;
  try {
    gateway = await startGateway(config, logger);
  } catch (err) {
    if (err instanceof InsecureListenError || err instanceof ConfigError) {
      logger.fatal(err.message);
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    logger.fatal({ err }, 'the gateway could not start');
    process.exit(1);
  }
  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutdown requested');
    // A second signal means "now": skip the grace period.
    process.once(signal, () => process.exit(1));
    gateway.shutdown().then(stopTelemetry).then(() => process.exit(0), (err: unknown) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
