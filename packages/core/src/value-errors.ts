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
 * (`typeName`), it was written through a codec this process was not given, or the codec refused it.
 */
export class DeserializationError extends CairnError {
  override name = "DeserializationError";
  /** `unknown-type`, `no-codec` (written through a codec, none given) or `codec-failed`. */
  readonly reason: "unknown-type" | "no-codec" | "codec-failed";
  /** The custom type the value names, when `reason` is `unknown-type`. */
  readonly typeName: string | undefined;
  static override is = isCairnErrorCode<DeserializationError>("DESERIALIZATION_FAILED");

  constructor(
    reason: "unknown-type" | "no-codec" | "codec-failed",
    typeName?: string,
    options?: ErrorOptions,
  ) {
    const messages = {
      "unknown-type": `Cannot decode a stored value: it holds a "${typeName}", which is not registered; register it in serialization.types of this engine or client`,
      "no-codec":
        "Cannot decode a stored value: it was written through a codec; give the same codec as serialization.codec",
      "codec-failed": "Cannot decode a stored value: the codec refused it",
    };
    super("DESERIALIZATION_FAILED", messages[reason], options);
    this.reason = reason;
    this.typeName = typeName;
  }
}
