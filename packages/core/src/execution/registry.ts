/**
 * The workflows an engine knows, by name: the lookup recovery and pickup use to find code for a
 * stored workflow, and the gate that turns a caller's input into the stored, validated input.
 */
import { InvalidOptionError, WorkflowNotRegisteredError } from "../errors.js";
import { parseWithSchema } from "../schema.js";
import type { Serializer } from "../serialization.js";
import type { SerializedValue } from "../store/records.js";
import type { AnyWorkflow, WorkflowDefinition } from "../workflow.js";

/** Workflow definitions by name. */
export class Registry {
  private readonly byName = new Map<string, WorkflowDefinition>();

  private readonly serializer: Serializer;

  constructor(workflows: readonly AnyWorkflow[], serializer: Serializer) {
    this.serializer = serializer;
    for (const workflow of workflows) {
      // A pipeline lists the workflows it runs; registering it registers them too.
      const parts = (workflow as { workflows?: readonly AnyWorkflow[] } | undefined)?.workflows;
      for (const part of parts ?? []) if (part !== workflow) this.add(part);
      this.add(workflow);
    }
  }

  private add(workflow: AnyWorkflow): void {
    const definition = (workflow as Partial<AnyWorkflow> | undefined)?.["~cairn"];
    if (!definition) {
      throw new InvalidOptionError("workflows", "expected definitions made by workflow()");
    }
    const existing = this.byName.get(definition.name);
    if (existing && existing !== definition) {
      throw new InvalidOptionError("workflows", `two workflows are named "${definition.name}"`);
    }
    this.byName.set(definition.name, definition);
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  get(name: string): WorkflowDefinition | undefined {
    return this.byName.get(name);
  }

  /** Limits per name, as the recovery claim wants them. */
  maxRecoveryAttempts(): Record<string, number> {
    return Object.fromEntries(
      [...this.byName.values()].map((d) => [d.name, d.maxRecoveryAttempts]),
    );
  }

  /**
   * The registered definition of `workflow`.
   * @throws WorkflowNotRegisteredError when it is not registered (or another one has its name).
   */
  definitionOf(workflow: AnyWorkflow | WorkflowDefinition): WorkflowDefinition {
    const definition = "~cairn" in workflow ? workflow["~cairn"] : workflow;
    if (this.byName.get(definition.name) !== definition) {
      const detail = this.byName.has(definition.name) ? "another definition has this name" : "";
      throw new WorkflowNotRegisteredError(definition.name, detail);
    }
    return definition;
  }

  /**
   * Validates `input` against the definition's schema and serializes the parsed value.
   * @throws ValidationError, SerializationError
   */
  async serializeInput(definition: WorkflowDefinition, input: unknown): Promise<SerializedValue> {
    const subject = `input of workflow "${definition.name}"`;
    const schema = definition.inputSchema;
    const parsed = schema ? await parseWithSchema(schema, input, subject) : input;
    return this.serializer.serialize(parsed, subject);
  }
}
