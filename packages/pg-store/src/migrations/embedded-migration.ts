/** One numbered migration, embedded from `migrations/NNNN_<intent>.sql`. */
export interface EmbeddedMigration {
  /** 1, 2, 3...: applied in order, each once, recorded in `<schema>.migrations`. */
  readonly version: number;
  /** The file name's intent, e.g. `create_workflows_and_steps`. */
  readonly name: string;
  /**
   * The script, with `{{schema}}` where the quoted schema name goes and `{{channel}}` where the
   * schema's notification channel goes (safe inside a string literal).
   */
  readonly sql: string;
}
