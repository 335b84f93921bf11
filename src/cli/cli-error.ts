/** A failure the CLI reports as one clear line (exit 1), with a hint where one helps. */
export class CliError extends Error {
  readonly code: string;
  constructor(message: string, options: { code?: string; hint?: string } = {}) {
    super(options.hint ? `${message}\n  hint: ${options.hint}` : message);
    this.code = options.code ?? 'CLI_FAILED';
    this.name = 'CliError';
  }
}
