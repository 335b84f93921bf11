/** The one typed, frozen view of the settings. Nothing outside config/ reads process.env. */
export interface SigningKey {
  /** Short id carried in every token so a rotated SECRET still verifies old links. */
  readonly id: string;
  readonly key: Buffer;
}

export interface Config {
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly smtp: {
    readonly url: string | undefined;
    readonly maxConnections: number;
    readonly ratePerSecond: number | undefined;
  };
  readonly mailFrom: string;
  readonly publicUrl: string;
  readonly host: string;
  readonly port: number;
  readonly keys: { readonly current: SigningKey; readonly previous: SigningKey | undefined };
  /** True when SECRET was generated and kept in DATA_DIR rather than configured. */
  readonly secretGenerated: boolean;
  readonly adminToken: string | undefined;
  readonly digest: { readonly cron: string; readonly timeZone: string; readonly cutoffHours: number };
  readonly site: { readonly name: string; readonly postalAddress: string };
  readonly feeds: { readonly urls: readonly string[]; readonly cron: string };
  readonly sections: { readonly topStories: number; readonly topBlogs: number };
  readonly workers: number;
  readonly logLevel: string;
  readonly production: boolean;
}
