import { ConfigError } from '../config/load-config';
import { resolveConfig, type ConfigOverrides } from '../config/resolve-config';
import { routeGrpcLogs } from '../log/grpc-js-logger';
import { createLogger, flushLogger, type Logger } from '../log/logger';
import { startGateway } from '../server/gateway-server';
import { ListenError } from '../server/listen-error';
import { InsecureListenError } from '../server/server-credentials';
import { stopTelemetry } from '../telemetry/start-telemetry';

/** Exit code of a setup the operator must change: a bad config, or an address the gateway cannot use. */
const EXIT_BAD_SETUP = 2;

/** `serve`: runs the gateway until SIGTERM/SIGINT, then drains and exits 0. */
export async function serve(overrides: ConfigOverrides): Promise<void> {
  let config;
  try {
    config = resolveConfig(overrides);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(EXIT_BAD_SETUP);
    }
    throw err;
  }
  const logger = createLogger(config.log.level);
  routeGrpcLogs(logger);
  let gateway;
  try {
    gateway = await startGateway(config, logger);
  } catch (err) {
    if (err instanceof ListenError) {
      // One line, not a stack trace: the address is the operator's to change.
      process.stderr.write(`${err.message}\n`);
      return exit(logger, EXIT_BAD_SETUP);
    }
    if (err instanceof InsecureListenError || err instanceof ConfigError) {
      logger.fatal(err.message);
      process.stderr.write(`${err.message}\n`);
      return exit(logger, EXIT_BAD_SETUP);
    }
    logger.fatal({ err }, 'the gateway could not start');
    return exit(logger, 1);
  }
  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutdown requested');
    // A second signal means "now": skip the grace period.
    process.once(signal, () => void exit(logger, 1));
    gateway.shutdown().then(stopTelemetry).then(() => exit(logger, 0), (err: unknown) => {
      logger.error({ err }, 'shutdown failed');
      return exit(logger, 1);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** Exits once every log line written so far is out, in order. */
async function exit(logger: Logger, code: number): Promise<never> {
  await flushLogger(logger);
  process.exit(code);
}
