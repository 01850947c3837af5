/**
 * Typed channels: a workflow may declare the messages it receives, the events it sets and the
 * streams it writes, each with a schema (zod or any Standard Schema), once — in `workflow({ channels })`. Sends, receives,
 * events and stream reads are then typed on both ends and validated where the schema is known.
 * Without a declaration everything still works, untyped (`string` names, `unknown` values).
 */
import { parseWithSchema, type AnySchema, type SchemaInput, type SchemaOutput } from "./schema.js";

/** The schemas a workflow declares for its channels. */
export interface ChannelSchemas {
  /** Message topics the workflow receives with `ctx.recv`, and their payloads. */
  readonly messages?: Readonly<Record<string, AnySchema>>;
  /** Event keys the workflow sets with `ctx.setEvent`, and their values. */
  readonly events?: Readonly<Record<string, AnySchema>>;
  /** Stream keys the workflow writes with `ctx.writeStream`, and their values. */
  readonly streams?: Readonly<Record<string, AnySchema>>;
}

type Kind = "messages" | "events" | "streams";

type Declared<C, K extends Kind> = C extends { readonly [P in K]: infer M } ? M : undefined;

/** The names a channel kind accepts: the declared ones, or any string. */
export type ChannelName<C, K extends Kind> =
  Declared<C, K> extends Readonly<Record<string, AnySchema>>
    ? keyof Declared<C, K> & string
    : string;

/** The value a reader gets on a channel: the schema's output, or `unknown`. */
export type ChannelOutput<C, K extends Kind, N> =
  Declared<C, K> extends Readonly<Record<string, AnySchema>>
    ? N extends keyof Declared<C, K>
      ? SchemaOutput<Declared<C, K>[N]>
      : never
    : unknown;

/** The value a writer passes on a channel: the schema's input, or `unknown`. */
export type ChannelInput<C, K extends Kind, N> =
  Declared<C, K> extends Readonly<Record<string, AnySchema>>
    ? N extends keyof Declared<C, K>
      ? SchemaInput<Declared<C, K>[N]>
      : never
    : unknown;

/**
 * Validates `value` on channel `kind`/`name` when a schema is declared for it; returns the parsed
 * value (or `value` untouched when nothing is declared).
 * @throws ValidationError naming the channel.
 */
export async function parseChannel(
  channels: ChannelSchemas | undefined,
  kind: Kind,
  name: string,
  value: unknown,
): Promise<unknown> {
  const schema = channels?.[kind]?.[name];
  if (!schema) return value;
  const noun = { messages: "message on topic", events: "event", streams: "stream entry on" }[kind];
  return parseWithSchema(schema, value, `${noun} "${name}"`);
}
