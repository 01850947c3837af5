/**
 * `pipeline()`: composes workflows and steps into one workflow whose input is the first stage's
 * input and whose output is the last stage's output. The compiler checks that each stage accepts
 * what the stage before it returns; at run time, each hand-off is validated against the next
 * stage's input schema (zod or any Standard Schema), so a mismatch names both stages. Workflow
 * stages run as durable child workflows and step stages as checkpointed steps, so after a crash
 * the pipeline resumes inside the stage that was running. It adds no new kind of record: a pipeline is a plain workflow whose
 * body calls its stages in order, stage k (1-based) at position k - 1.
 */
import type { WorkflowContext } from "./context.js";
import { InvalidOptionError } from "./errors.js";
import {
  parseWithSchema,
  type AnySchema,
  type SchemaInput,
  type SchemaOutput,
  type StandardSchema,
} from "./schema.js";
import type { Step } from "./step.js";
import { workflow, type AnyWorkflow, type Workflow, type WorkflowDefinition } from "./workflow.js";

/** Options of {@link pipeline}. Only `name` is required. */
export interface PipelineOptions<S extends AnySchema | undefined = AnySchema | undefined> {
  /** The pipeline workflow's name, stored with every run. Keep it stable. */
  readonly name: string;
  /**
   * Validates (and may transform) the pipeline's input before anything is written; the parsed
   * value goes to the first stage. Default: the first stage's own input schema, if it has one,
   * used to check the input (the first stage still parses it itself).
   */
  readonly input?: S;
  /** Recoveries without progress before the pipeline moves to `DEAD_LETTER`. Default 10. */
  readonly maxRecoveryAttempts?: number;
}

/** A stage: a workflow (run as a durable child) or a step taking exactly one argument. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PipelineStage<In = any, Out = any> = Workflow<In, Out> | Step<[In], Out>;

/**
 * A pipeline: a regular workflow that also lists its stages, and every workflow an engine must
 * register to run it (`createEngine({ store, workflows: [...p.workflows] })`).
 */
export interface Pipeline<
  In,
  Out,
  Stages extends readonly unknown[] = readonly PipelineStage[],
> extends Workflow<In, Out> {
  /** The stages, in order: `stages[i]` runs at position `i` of the pipeline's history. */
  readonly stages: Stages;
  /** The pipeline itself, its workflow stages and those of nested pipelines, without repeats. */
  readonly workflows: readonly AnyWorkflow[];
}

/** Shown by the compiler in place of a stage that cannot follow the one before it. */
export interface PipelineStageMismatch<Message extends string, Types> {
  readonly "~pipelineError": Message;
  readonly types: Types;
}

/** The input a stage takes, or `never` for something that is not a stage. */
export type StageInput<S> = S extends AnyWorkflow
  ? NonNullable<S["~cairn"]["types"]>["in"]
  : StepArgs<S> extends [infer In]
    ? In
    : never;

/** The output a stage returns, or `never` for something that is not a stage. */
export type StageOutput<S> = S extends AnyWorkflow
  ? NonNullable<S["~cairn"]["types"]>["out"]
  : S extends Step<[never], infer Out>
    ? StepArgs<S> extends [unknown]
      ? Out
      : never
    : never;

type StepArgs<S> = S extends Step<infer Args, unknown> ? Args : "not a step";

/** Marks "no pipeline-level input schema": the first stage takes the pipeline's input as is. */
interface FromFirstStage {
  readonly "~fromFirstStage": true;
}

/** What flows into each stage: `[pipeline input, output of stage 1, output of stage 2, ...]`. */
type Feeds<S extends readonly unknown[], Prev> = S extends readonly [infer Head, ...infer Rest]
  ? [Prev, ...Feeds<Rest, StageOutput<Head>>]
  : [];

/** The 1-based stage number of tuple key `K` ("0" is stage 1). */
type StageNumber<K, Count extends unknown[] = []> = K extends `${Count["length"]}`
  ? [...Count, unknown]["length"]
  : Count["length"] extends 64
    ? number
    : StageNumber<K, [...Count, unknown]>;

type IsStage<S> = S extends AnyWorkflow ? true : StepArgs<S> extends [unknown] ? true : false;

/** One stage, checked against what flows into it: itself if it fits, else an error type. */
type CheckStage<Stage, Feed, K> =
  IsStage<Stage> extends false
    ? PipelineStageMismatch<
        `stage ${StageNumber<K>} is neither a workflow nor a step taking exactly one argument`,
        Stage
      >
    : [Feed] extends [FromFirstStage]
      ? Stage
      : [Feed] extends [StageInput<Stage>]
        ? Stage
        : PipelineStageMismatch<
            K extends "0"
              ? `stage 1 cannot take the pipeline's parsed input`
              : `stage ${StageNumber<K>} cannot take the output of stage ${K & string}`,
            { output: Feed; input: StageInput<Stage> }
          >;

/** The stages as the caller must pass them: a mapped tuple, so an error lands on the bad stage. */
type CheckedStages<S extends readonly unknown[], First> = {
  [K in keyof S]: CheckStage<S[K], Feeds<S, First>[K & keyof Feeds<S, First>], K>;
};

type LastOf<S extends readonly unknown[]> = S extends readonly [...unknown[], infer L] ? L : never;

type InputSchemaOf<O> = O extends { readonly input: infer Schema extends AnySchema }
  ? Schema
  : undefined;

type PipelineIn<O, S extends readonly unknown[]> =
  InputSchemaOf<O> extends AnySchema ? SchemaInput<InputSchemaOf<O>> : StageInput<S[0]>;

type FirstFeed<O> =
  InputSchemaOf<O> extends AnySchema ? SchemaOutput<InputSchemaOf<O>> : FromFirstStage;

/**
 * Composes workflows and steps into a workflow: the output of each stage is the input of the
 * next. A mismatch between adjacent stages is a compile error on the stage that does not fit.
 * Workflow stages run as durable children with IDs `<pipeline ID>:<position>`; step stages run
 * as steps of the pipeline. Register the pipeline and its stage workflows with the engine:
 * `p.workflows` lists them all.
 *
 * @example
 * const ingest = pipeline("ingest", fetchDocument, parseDocument, enrich, store);
 * const engine = createEngine({ store, workflows: [...ingest.workflows] });
 * const saved = await engine.run(ingest, { url: "https://example.com/a" });
 *
 * const strict = pipeline({ name: "ingest", input: z.object({ url: z.url() }) }, fetchDocument, parseDocument);
 */
export function pipeline<
  const O extends string | PipelineOptions,
  const S extends readonly [unknown, ...unknown[]],
>(
  nameOrOptions: O,
  ...stages: CheckedStages<S, FirstFeed<O>>
): Pipeline<PipelineIn<O, S>, StageOutput<LastOf<S>>, S>;
export function pipeline(
  nameOrOptions: string | PipelineOptions,
  ...stages: readonly unknown[]
): Pipeline<unknown, unknown> {
  const options = typeof nameOrOptions === "string" ? { name: nameOrOptions } : nameOrOptions;
  const planned = planStages(options.name, stages);
  const validateFirst = options.input !== undefined;
  const definitionOptions = {
    name: options.name,
    input: options.input ?? checkOnly(planned[0]?.inputSchema),
    ...(options.maxRecoveryAttempts === undefined
      ? {}
      : { maxRecoveryAttempts: options.maxRecoveryAttempts }),
  };
  const run = (ctx: WorkflowContext, input: unknown) =>
    runStages(ctx, options.name, planned, input, validateFirst);
  const composed = workflow(definitionOptions as { name: string }, run);
  Object.defineProperty(composed, "stages", { value: Object.freeze([...stages]) });
  Object.defineProperty(composed, "workflows", {
    value: Object.freeze(workflowsOf(composed, planned)),
  });
  return composed as Pipeline<unknown, unknown>;
}

/** A stage as the pipeline body runs it. */
interface PlannedStage {
  /** 1-based, as in error messages; the stage runs at position `number - 1`. */
  readonly number: number;
  readonly name: string;
  readonly inputSchema: AnySchema | undefined;
  readonly workflow: AnyWorkflow | undefined;
  readonly call: (ctx: WorkflowContext, input: unknown) => Promise<unknown>;
}

function planStages(pipelineName: string, stages: readonly unknown[]): PlannedStage[] {
  if (stages.length === 0) {
    throw new InvalidOptionError(`pipeline "${pipelineName}"`, "expected at least one stage");
  }
  return stages.map((stage, index) => {
    const definition = definitionOf(stage);
    if (!definition) {
      throw new InvalidOptionError(
        `pipeline "${pipelineName}" stage ${index + 1}`,
        "expected a workflow() or a step()",
      );
    }
    const isWorkflow = "maxRecoveryAttempts" in definition;
    return {
      number: index + 1,
      name: definition.name,
      inputSchema: isWorkflow ? (definition as WorkflowDefinition).inputSchema : undefined,
      workflow: isWorkflow ? (stage as AnyWorkflow) : undefined,
      call: stage as PlannedStage["call"],
    };
  });
}

function definitionOf(stage: unknown): { readonly name: string } | undefined {
  if (typeof stage !== "function" || !("~cairn" in stage)) return undefined;
  const definition = (stage as { "~cairn"?: { name?: unknown } })["~cairn"];
  return typeof definition?.name === "string" ? (definition as { name: string }) : undefined;
}

/** The pipeline's body: each stage in order, each hand-off checked against the next schema. */
async function runStages(
  ctx: WorkflowContext,
  pipelineName: string,
  stages: readonly PlannedStage[],
  input: unknown,
  validateFirst: boolean,
): Promise<unknown> {
  let value = input;
  let previous: PlannedStage | undefined;
  for (const stage of stages) {
    if (previous || validateFirst) {
      await checkHandoff(value, stage, handoffSource(pipelineName, previous));
    }
    value = await stage.call(ctx, value);
    previous = stage;
  }
  return value;
}

function handoffSource(pipelineName: string, previous: PlannedStage | undefined): string {
  return previous
    ? `output of stage ${previous.number} ("${previous.name}")`
    : `input of pipeline "${pipelineName}"`;
}

async function checkHandoff(value: unknown, stage: PlannedStage, source: string): Promise<void> {
  if (!stage.inputSchema) return;
  const target = `input of stage ${stage.number} ("${stage.name}")`;
  await parseWithSchema(stage.inputSchema, value, `${source} as ${target}`);
}

/**
 * A schema that checks a value against `schema` but keeps it as it was: the pipeline rejects a
 * bad input before anything is written, and the first stage still parses the original itself
 * (parsing twice would apply a transform twice).
 */
function checkOnly(schema: AnySchema | undefined): AnySchema | undefined {
  if (!schema) return undefined;
  const checked: StandardSchema = {
    "~standard": {
      version: 1,
      vendor: "cairn",
      validate: async (value) => {
        const result = await schema["~standard"].validate(value);
        return result.issues ? { issues: result.issues } : { value };
      },
    },
  };
  return checked;
}

/** Every workflow the engine must know to run the pipeline, nested pipelines included. */
function workflowsOf(self: AnyWorkflow, stages: readonly PlannedStage[]): AnyWorkflow[] {
  const found = new Set<AnyWorkflow>([self]);
  for (const { workflow: stage } of stages) {
    if (!stage) continue;
    const nested = (stage as Partial<Pipeline<unknown, unknown>>).workflows ?? [stage];
    for (const each of nested) found.add(each);
  }
  return [...found];
}
