/**
 * Schemas, as Cairn sees them: any validator that implements Standard Schema v1
 * (https://standardschema.dev) — zod (3.24 and later, 4), valibot, ArkType, Effect Schema, or an
 * object written by hand. Cairn needs two things from one: `~standard.validate`, which returns
 * the parsed value or a list of issues, and the `~standard.types` it declares, from which the
 * input a caller passes and the output a body receives are inferred. It validates; it never
 * builds or transforms schemas of its own.
 */
import { ValidationError } from "./errors.js";
import type { AnySchema } from "./standard-schema.js";

export type {
  AnySchema,
  SchemaInput,
  SchemaIssue,
  SchemaOutput,
  SchemaResult,
  StandardSchema,
} from "./standard-schema.js";

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
