/**
 * The errors the CLI reports as a short explanation rather than a stack trace.
 * @module
 */

/** Options of {@link CliError}. */
export interface CliErrorOptions {
  /** @default 2, a usage error */
  exitCode?: number | undefined
  /** Follow the message with the usage text: for mistakes in the shape of the command line. */
  showUsage?: boolean | undefined
  /** Printed after the message, with its stack: what went wrong inside, e.g. a worker's syntax error. */
  cause?: unknown
}

/** An error `main` prints as `edgepod: <message>` and exits with; by default a usage error (2). */
export class CliError extends Error {
  override name = 'CliError' as const
  readonly exitCode: number
  readonly showUsage: boolean

  constructor(message: string, options: CliErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.exitCode = options.exitCode ?? 2
    this.showUsage = options.showUsage ?? false
  }
}
