/** A mistake on the command line or in an input file: the command prints it and exits 2, sending nothing. */
export class UsageError extends Error {
  override name = 'UsageError';
}
