/**
 * The schema-qualified identifiers of one store, validated and quoted once at construction, so
 * no statement ever interpolates an unchecked name. Also the store's notification channel.
 */
import { SchemaNameInvalidError } from "./errors.js";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Postgres truncates identifiers, channel names included, past 63 bytes. */
const MAX_IDENTIFIER = 63;

/** Quoted, schema-qualified names, ready to paste into SQL text. */
export interface SchemaNames {
  /** The schema name as given, e.g. `cairn`. */
  readonly schema: string;
  /** The quoted schema, e.g. `"cairn"`. */
  readonly quoted: string;
  readonly workflows: string;
  readonly steps: string;
  readonly messages: string;
  readonly events: string;
  /** Every value each event took, by the position that set it (for forks). */
  readonly eventHistory: string;
  readonly streams: string;
  readonly executors: string;
  readonly migrations: string;
  /**
   * The LISTEN/NOTIFY channel of this schema, e.g. `cairn_cairn`: letters, digits and
   * underscores only, at most 63 bytes, so it is safe both quoted and as a string literal.
   */
  readonly channel: string;
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
    messages: `${quoted}.messages`,
    events: `${quoted}.events`,
    eventHistory: `${quoted}.event_history`,
    streams: `${quoted}.streams`,
    executors: `${quoted}.executors`,
    migrations: `${quoted}.migrations`,
    channel: channelName(schema),
  };
}

/** `cairn_<schema>`, or for a long schema name a prefix of it plus a hash of the whole. */
export function channelName(schema: string): string {
  const channel = `cairn_${schema}`;
  if (channel.length <= MAX_IDENTIFIER) return channel;
  return `${channel.slice(0, MAX_IDENTIFIER - 9)}_${fnv1a(schema).toString(16).padStart(8, "0")}`;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) hash = Math.imul(hash ^ byte, 0x01000193);
  return hash >>> 0;
}
