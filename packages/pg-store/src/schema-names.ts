/**
 * The schema-qualified identifiers of one store, validated and quoted once at construction, so
 * no statement ever interpolates an unchecked name.
 */
import { SchemaNameInvalidError } from "./errors.js";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Quoted, schema-qualified names, ready to paste into SQL text. */
export interface SchemaNames {
  /** The schema name as given, e.g. `cairn`. */
  readonly schema: string;
  /** The quoted schema, e.g. `"cairn"`. */
  readonly quoted: string;
  readonly workflows: string;
  readonly steps: string;
  readonly migrations: string;
}

/** Validates `schema` and builds its qualified table names; throws `SchemaNameInvalidError`. */
export function schemaNames(schema: string): SchemaNames {
  if (!IDENTIFIER.test(schema)) throw new SchemaNameInvalidError(schema);
  const quoted = `"${schema}"`;
  return {
    schema,
    quoted,
    workflows: `${quoted}.workflows`,
    steps: `${quoted}.steps`,
    migrations: `${quoted}.migrations`,
  };
}
