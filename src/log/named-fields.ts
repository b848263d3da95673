import { stdSerializers } from 'pino';

/** The field names whose values are credentials whatever they hold. */
const NAMES = new Set(['accessToken', 'appSecret', 'access_token', 'appsecret_proof', 'authorization']);
export const NAMED_CENSOR = '[redacted]';

type Fields = Record<string, unknown>;

/**
 * A logged object with every field named as a credential censored, at its top level and one level
 * down (`headers.authorization`, `page.accessToken`): belt and braces, the gateway never logs
 * credentials. The same object when no field needs it (every line the gateway writes), so that
 * the common line costs a key lookup per field. pino's own `redact` paths did this with a
 * stringifier around every value of every line (~6 µs of a send's access line); the values are
 * still redacted by content once the line is written (logger.ts).
 */
export function censorNamedFields(obj: Fields): Fields {
  let out: Fields | undefined;
  for (const key in obj) {
    const value = obj[key];
    if (value === undefined || !Object.prototype.hasOwnProperty.call(obj, key)) continue;
    if (NAMES.has(key)) {
      (out ??= { ...obj })[key] = NAMED_CENSOR;
    } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const inner = censorInner(value as Fields);
      if (inner !== value) (out ??= { ...obj })[key] = inner;
    }
  }
  return out ?? obj;
}

/** One level down: the object with its named fields censored, or itself. */
function censorInner(obj: Fields): Fields {
  let out: Fields | undefined;
  for (const key in obj) {
    // As pino's paths did: a nested field present but undefined is censored too (it shows as censored).
    if (!NAMES.has(key) || !Object.prototype.hasOwnProperty.call(obj, key)) continue;
    // An Error's message and stack are not enumerable: serialise it as pino would before copying.
    out ??= obj instanceof Error ? (stdSerializers.err(obj) as unknown as Fields) : { ...obj };
    out[key] = NAMED_CENSOR;
  }
  return out ?? obj;
}
