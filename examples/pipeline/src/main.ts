/**
 * Runs the document pipeline on embedded PGlite in `./.cairn-pipeline` (wiped at each run; set
 * `CAIRN_PIPELINE_DATA_DIR` to use another directory): three pages go through
 * fetch → parse → enrich → store. One page fails to download once (retried), one has no title
 * (the pipeline fails with a ValidationError naming the stages). Then it prints where each stage
 * sits in the pipeline's history. Run it with `pnpm --filter pipeline-example start`.
 */
import { rm } from "node:fs/promises";
import { consoleLogger, createEngine, ValidationError } from "@cairn/core";
import { createPgliteStore } from "@cairn/pg-store";
import { createIngest } from "./ingest.js";
import { createServices } from "./services.js";

const dataDir = process.env["CAIRN_PIPELINE_DATA_DIR"] ?? "./.cairn-pipeline";
await rm(dataDir, { recursive: true, force: true });

const services = createServices();
const ingest = createIngest(services);
const store = createPgliteStore({ dataDir });
// ingest.workflows: the pipeline and every workflow stage, all of which the engine must know.
// The logger hides the warning of the one retried download; the call counts below show it.
const engine = createEngine({ store, workflows: ingest.workflows, logger: consoleLogger("error") });
await engine.launch();

const urls = ["durable", "postgres", "untitled"].map((page) => `https://example.com/${page}`);
try {
  for (const [i, url] of urls.entries()) {
    const id = `ingest-${i + 1}`;
    try {
      const saved = await engine.run(ingest, { url }, { id });
      console.log(
        `${id} ${url}\n  saved ${saved.documentId}: "${saved.title}" [${saved.keywords.join(", ")}]`,
      );
    } catch (error) {
      if (!ValidationError.is(error)) throw error;
      console.log(`${id} ${url}\n  failed: ${error.message}`);
    }
  }

  console.log(`\nHistory of ingest-2 (stage k runs at position k - 1):`);
  for (const record of await store.listSteps("ingest-2")) {
    const child = record.childWorkflowId ? ` -> child workflow ${record.childWorkflowId}` : "";
    console.log(`  position ${record.position}: ${record.name}${child}`);
  }
  const { web, keywords, save } = services.calls;
  console.log(`\nService calls: web ${web} (one retry), keywords ${keywords}, save ${save}`);
} finally {
  await engine.shutdown();
}
