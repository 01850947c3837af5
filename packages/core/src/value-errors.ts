/**
 * Errors about values: one that does not match its schema, one that cannot be stored, and a
 * stored one that cannot be read back.
 */
import { CairnError, isCairnErrorCode } from "./cairn-error.js";
import type { SchemaIssue } from "./standard-schema.js";

/** Where an issue is, as `items.0.sku`, or `(root)`. */
function issuePath(issue: SchemaIssue): string {
  const path = issue.path ?? [];
  if (path.length === 0) return "(root)";
  return path
    .map((segment) => String(typeof segment === "object" ? segment.key : segment))
    .join(".");
}

/** A workflow input, output or option did not match its schema. Nothing was written. */
export class ValidationError extends CairnError {
  override name = "ValidationError";
  /** The schema's issues, as its library reported them (zod's carry `code` and more). */
  readonly issues: readonly SchemaIssue[];
  /** What was being validated, e.g. `input of workflow "order"`. */
  readonly subject: string;
  static override is = isCairnErrorCode<ValidationError>("VALIDATION_FAILED");

  constructor(subject: string, issues: readonly SchemaIssue[]) {
    const detail = issues.map((issue) => `${issuePath(issue)}: ${issue.message}`).join("; ");
    super("VALIDATION_FAILED", `Invalid ${subject}: ${detail}`);
    this.subject = subject;
    this.issues = issues;
  }
}

/** A value could not be serialized (a function, a class instance, a symbol...). */
export class SerializationError extends CairnError {
  override name = "SerializationError";
  /** What was being serialized, e.g. `output of step "charge"`. */
  readonly subject: string;
  /** Where in the value the problem sits, e.g. `.customer.callback`. */
  readonly path: string;
  static override is = isCairnErrorCode<SerializationError>("SERIALIZATION_FAILED");

  constructor(subject: string, path: string, reason: string) {
    const where = path === "" ? "" : ` at ${path}`;
    super("SERIALIZATION_FAILED", `Cannot serialize ${subject}${where}: ${reason}`);
    this.subject = subject;
    this.path = path;
  }
}

/**
 * A stored value could not be decoded: it names a custom type this process has not registered
 * (`typeName`), it was written through a codec this process was not given, the codec refused it,
 * or it is not in the serializer's format at all (written by something else, or damaged).
 */
export class DeserializationError extends CairnError {
  override name = "DeserializationError";
  /**
   * `unknown-type`, `no-codec` (written through a codec, none given), `codec-failed` or
   * `malformed` (not the serializer's format).
   */
  readonly reason: DeserializationFailure;
  /** The custom type the value names, when `reason` is `unknown-type`. */
  readonly typeName: string | undefined;
  /** What was being decoded, e.g. `input of workflow "checkout"`; undefined when not said. */
  readonly subject: string | undefined;
  static override is = isCairnErrorCode<DeserializationError>("DESERIALIZATION_FAILED");

  constructor(
    reason: DeserializationFailure,
    typeName?: string,
    options?: ErrorOptions & { readonly subject?: string | undefined },
  ) {
    const what = `Cannot decode ${options?.subject ?? "a stored value"}`;
    const messages = {
      "unknown-type": `${what}: it holds a "${typeName}", which is not registered; register it in serialization.types of this engine or client`,
      "no-codec": `${what}: it was written through a codec; give the same codec as serialization.codec`,
      "codec-failed": `${what}: the codec refused it`,
      malformed: `${what}: it is not in the format this serializer writes`,
    };
    super("DESERIALIZATION_FAILED", messages[reason], options);
    this.reason = reason;
    this.typeName = typeName;
    this.subject = options?.subject;
  }

  /** `error`, thrown by `deserialize`, again with `subject` named in its message. */
  static about(error: unknown, subject: string): DeserializationError {
    const known = DeserializationError.is(error) ? error : undefined;
    return new DeserializationError(known?.reason ?? "malformed", known?.typeName, {
      cause: known?.cause ?? error,
      subject,
    });
  }
}

/** Why a stored value could not be decoded: see {@link DeserializationError.reason}. */
export type DeserializationFailure = "unknown-type" | "no-codec" | "codec-failed" | "malformed";
