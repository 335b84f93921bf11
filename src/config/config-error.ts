/** One problem per bad setting, so start-up can print them all at once rather than one per restart. */
export interface ConfigProblem {
  readonly variable: string;
  readonly message: string;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map((p) => `config: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}
