/**
 * The document pipeline: fetch a page, parse it, enrich it with keywords, store it. `fetchPage`,
 * `enrichDocument` and `storeDocument` are workflows (each runs as a durable child of the
 * pipeline, with its own checkpointed steps); `parsePage` is a plain step. The compiler checks
 * that each stage takes what the one before returns, and the zod schemas of `enrichDocument` and
 * `storeDocument` check it again at run time, naming the stages when a page does not fit.
 */
import { pipeline, step, workflow } from "@cairn/core";
import { z } from "zod";
import type { Services } from "./services.js";

/** What the pipeline starts from. */
export const IngestInput = z.object({ url: z.url() });

/** A page as fetched. */
export interface FetchedPage {
  readonly url: string;
  readonly html: string;
  readonly fetchedAt: Date;
}

/** A parsed page: what enrichment requires of it. */
export const ParsedPage = z.object({
  url: z.url(),
  title: z.string().min(1, "a document needs a title"),
  text: z.string(),
  fetchedAt: z.date(),
});

/** A parsed page with what it is about. */
export const EnrichedDocument = z.object({
  url: z.url(),
  title: z.string().min(1),
  keywords: z.array(z.string()).min(1),
  wordCount: z.number().int().nonnegative(),
});

/** Builds the `ingest` pipeline over the services its stages call. */
export function createIngest(services: Services) {
  const download = step(
    { name: "download", retry: { maxAttempts: 3, initialDelayMs: 50 } },
    (url: string) => services.web.get(url),
  );
  const fetchPage = workflow(
    { name: "fetchPage", input: IngestInput },
    async (ctx, { url }): Promise<FetchedPage> => {
      const html = await download(ctx, url);
      return { url, html, fetchedAt: new Date(await ctx.now()) };
    },
  );

  const parsePage = step("parsePage", (page: FetchedPage) => ({
    url: page.url,
    title: /<title>(.*?)<\/title>/s.exec(page.html)?.[1]?.trim() ?? "",
    text: page.html
      .replace(/<[^>]*>/g, " ")
      .replace(/\s+/g, " ")
      .trim(),
    fetchedAt: page.fetchedAt,
  }));

  const extractKeywords = step("extractKeywords", (text: string) =>
    services.keywords.keywords(text, 3),
  );
  const enrichDocument = workflow(
    { name: "enrichDocument", input: ParsedPage },
    async (ctx, page) => ({
      url: page.url,
      title: page.title,
      keywords: await extractKeywords(ctx, page.text),
      wordCount: page.text.split(" ").length,
    }),
  );

  const save = step("save", (document: z.output<typeof EnrichedDocument>) =>
    services.documents.save(document),
  );
  const storeDocument = workflow(
    { name: "storeDocument", input: EnrichedDocument },
    async (ctx, document) => save(ctx, document),
  );

  return pipeline("ingest", fetchPage, parsePage, enrichDocument, storeDocument);
}
