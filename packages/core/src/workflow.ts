/**
 * `workflow()`: turns a plain async function into a durable workflow definition. The definition
 * is registered with an engine (`createEngine({ workflows })`), started with `engine.start()` or
 * `engine.run()`, and, when called with a context from inside another workflow, runs as a
 * durable child: `await order(ctx, input)`.
 */
import type { ChannelSchemas } from "./channels.js";
import type { AnyWorkflowContext, ChildOptions, WorkflowContext } from "./context.js";
import { InvalidOptionError, NotInWorkflowError } from "./errors.js";
import { operationsOf } from "./execution/operations.js";
import { isStandardSchema, type AnySchema, type SchemaInput, type SchemaOutput } from "./schema.js";

/** Options of {@link workflow}. Only `name` is required. */
export interface WorkflowOptions<
  S extends AnySchema | undefined = undefined,
  C extends ChannelSchemas = ChannelSchemas,
> {
  /** The name stored with every run; recovery finds the code by it. Keep it stable. */
  readonly name: string;
  /**
   * Validates (and may transform) the input before anything is written: a zod schema, or any
   * Standard Schema v1 validator (valibot, ArkType, Effect Schema, ...).
   */
  readonly input?: S;
  /** Validates the output before it is recorded; a mismatch fails the workflow. Any schema. */
  readonly output?: AnySchema;
  /**
   * How many times recovery may restart this workflow without it making progress (recording a
   * new checkpoint) before it moves to `DEAD_LETTER`. Default 10.
   */
  readonly maxRecoveryAttempts?: number;
  /** Schemas of the messages it receives, the events it sets and the streams it writes. */
  readonly channels?: C;
}

/** Everything the engine needs to run a workflow. Internal to Cairn; do not rely on it. */
export interface WorkflowDefinition {
  readonly name: string;
  readonly inputSchema: AnySchema | undefined;
  readonly outputSchema: AnySchema | undefined;
  readonly maxRecoveryAttempts: number;
  readonly channels: ChannelSchemas | undefined;
  readonly body: (ctx: WorkflowContext, input: unknown) => Promise<unknown>;
}

/** How a child call reaches the run behind its context (implemented in `durable-calls.ts`). */
export interface ChildRunner {
  runChild(
    definition: WorkflowDefinition,
    input: unknown,
    options?: ChildOptions,
  ): Promise<unknown>;
}

/**
 * A durable workflow. Call it with a context from inside another workflow to run it as a child
 * and wait for its output; pass it to `engine.start()` / `engine.run()` from anywhere else.
 */
export interface Workflow<In, Out, C extends ChannelSchemas = ChannelSchemas> {
  (ctx: AnyWorkflowContext, input: In, options?: ChildOptions): Promise<Out>;
  /** The workflow's registered name. */
  readonly name: string;
  /** Internal definition; also carries the input, output and channel types. */
  readonly "~cairn": WorkflowDefinition & { readonly types?: { in: In; out: Out; channels: C } };
}

/** Any workflow, whatever its types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyWorkflow = Workflow<any, any, any>;
/** The input a caller passes to a workflow. */
export type WorkflowInput<W> = W extends {
  readonly "~cairn": { readonly types?: { in: infer In } };
}
  ? In
  : never;
/** What a workflow returns. */
export type WorkflowOutput<W> = W extends {
  readonly "~cairn": { readonly types?: { out: infer Out } };
}
  ? Out
  : never;
/** The channels a workflow declares. */
export type WorkflowChannels<W> = W extends {
  readonly "~cairn": { readonly types?: { channels: infer C } };
}
  ? C extends ChannelSchemas
    ? C
    : ChannelSchemas
  : ChannelSchemas;

const DEFAULT_MAX_RECOVERY_ATTEMPTS = 10;

/**
 * Defines a durable workflow.
 *
 * @example
 * const order = workflow(
 *   { name: "order", input: z.object({ id: z.string() }) },
 *   async (ctx, { id }) => {
 *     const receipt = await charge(ctx, id);
 *     await ship(ctx, id);
 *     return receipt;
 *   });
 */
export function workflow<S extends AnySchema, Out, const C extends ChannelSchemas = ChannelSchemas>(
  options: WorkflowOptions<S, C> & { readonly input: S },
  body: (ctx: WorkflowContext<C>, input: SchemaOutput<S>) => Promise<Out>,
): Workflow<SchemaInput<S>, Out, C>;
export function workflow<In, Out, const C extends ChannelSchemas = ChannelSchemas>(
  nameOrOptions: string | WorkflowOptions<undefined, C>,
  body: (ctx: WorkflowContext<C>, input: In) => Promise<Out>,
): Workflow<In, Out, C>;
export function workflow(
  nameOrOptions: string | WorkflowOptions<AnySchema | undefined>,
  body: (ctx: WorkflowContext, input: unknown) => Promise<unknown>,
): Workflow<unknown, unknown> {
  const options = typeof nameOrOptions === "string" ? { name: nameOrOptions } : nameOrOptions;
  const definition = defineWorkflow(options, body);
  const call = (ctx: AnyWorkflowContext, input: unknown, childOptions?: ChildOptions) => {
    const operations = operationsOf<ChildRunner>(ctx);
    if (!operations) {
      return Promise.reject(new NotInWorkflowError(`workflow "${definition.name}"`));
    }
    return operations.runChild(definition, input, childOptions);
  };
  Object.defineProperty(call, "name", { value: definition.name });
  Object.defineProperty(call, "~cairn", { value: definition });
  return call as unknown as Workflow<unknown, unknown>;
}

function defineWorkflow(
  options: WorkflowOptions<AnySchema | undefined>,
  body: WorkflowDefinition["body"],
): WorkflowDefinition {
  if (typeof options.name !== "string" || options.name.trim() === "") {
    throw new InvalidOptionError("workflow name", "expected a non-empty string");
  }
  if (typeof body !== "function") {
    throw new InvalidOptionError(`workflow "${options.name}"`, "expected an async function body");
  }
  for (const key of ["input", "output"] as const) {
    if (options[key] !== undefined && !isStandardSchema(options[key])) {
      throw new InvalidOptionError(
        `workflow "${options.name}".${key}`,
        "expected a zod schema or another Standard Schema v1 validator",
      );
    }
  }
  const maxRecoveryAttempts = options.maxRecoveryAttempts ?? DEFAULT_MAX_RECOVERY_ATTEMPTS;
  if (!Number.isInteger(maxRecoveryAttempts) || maxRecoveryAttempts < 1) {
    throw new InvalidOptionError(
      `workflow "${options.name}".maxRecoveryAttempts`,
      "expected an integer >= 1",
    );
  }
  return {
    name: options.name,
    inputSchema: options.input,
    outputSchema: options.output,
    maxRecoveryAttempts,
    channels: options.channels,
    body,
  };
}
