/**
 * Schemas, as Cairn sees them: any validator that implements Standard Schema v1
 * (https://standardschema.dev) — zod (3.24 and later, 4), valibot, ArkType, Effect Schema, or an
 * object written by hand. Cairn needs two things from one: `~standard.validate`, which returns
 * the parsed value or a list of issues, and the `~standard.types` it declares, from which the
 * input a caller passes and the output a body receives are inferred. It validates; it never
 * builds or transforms schemas of its own.
 */
import { ValidationError } from "./errors.js";

/** A Standard Schema v1 validator whose input type is `In` and parsed output type is `Out`. */
export interface StandardSchema<In = unknown, Out = In> {
  readonly "~standard": {
    /** Always 1 for this version of the standard. */
    readonly version: 1;
    /** The library that made the schema, e.g. `"zod"`, `"valibot"`. */
    readonly vendor: string;
    /** Parses `value`: the output on success, the issues otherwise. May be async. */
    readonly validate: (value: unknown) => SchemaResult<Out> | Promise<SchemaResult<Out>>;
    /** Carries the input and output types for inference; never read at run time. */
    readonly types?: { readonly input: In; readonly output: Out } | undefined;
  };
}

/** What `validate` returns: the value, or issues. */
export type SchemaResult<Out> =
  | { readonly value: Out; readonly issues?: undefined }
  | { readonly issues: readonly SchemaIssue[] };

/** One problem a schema found: a message and, when it is inside the value, where. */
export interface SchemaIssue {
  readonly message: string;
  readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined;
}

/** Any Standard Schema. */
export type AnySchema = StandardSchema<unknown, unknown>;

type TypesOf<S> = S extends { readonly "~standard": { readonly types?: infer T } }
  ? NonNullable<T>
  : never;

/** The type a caller passes to schema `S` (before transforms); `unknown` if it declares none. */
export type SchemaInput<S> = [TypesOf<S>] extends [never]
  ? unknown
  : TypesOf<S> extends { readonly input: infer In }
    ? In
    : unknown;

/** The type schema `S` produces (after transforms); `unknown` if it declares none. */
export type SchemaOutput<S> = [TypesOf<S>] extends [never]
  ? unknown
  : TypesOf<S> extends { readonly output: infer Out }
    ? Out
    : unknown;

/**
 * Validates `value` with `schema` and returns the parsed output.
 * @throws ValidationError naming `subject` with the schema's issues.
 */
export async function parseWithSchema(
  schema: AnySchema,
  value: unknown,
  subject: string,
): Promise<unknown> {
  const result = await schema["~standard"].validate(value);
  if (result.issues) throw new ValidationError(subject, result.issues);
  return result.value;
}

/** True when `value` looks like a Standard Schema v1 validator. */
export function isStandardSchema(value: unknown): value is AnySchema {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return false;
  const props = (value as { "~standard"?: { version?: unknown; validate?: unknown } })["~standard"];
  return props?.version === 1 && typeof props.validate === "function";
}
