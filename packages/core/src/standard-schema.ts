/**
 * The types of Standard Schema v1 (https://standardschema.dev), as Cairn reads them: a validator
 * with `~standard.validate` and the input and output types it declares. Types only; validating
 * lives in `schema.ts`.
 */

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
