/**
 * Stand-ins for the outside world the document pipeline talks to: a small web to fetch pages
 * from (one page fails once, to show retries), a keyword service, and a document database. They
 * keep their state in memory and know nothing of Cairn; in a real application these would be
 * `fetch`, your NLP service's SDK and your database. Each counts its calls so the demo can show
 * what ran and what was replayed.
 */

/** Serves pages by URL. */
export interface Web {
  /** @throws Error when the page does not exist or the server fails (transiently). */
  get(url: string): Promise<string>;
}

/** Finds what a text is about. */
export interface KeywordService {
  keywords(text: string, max: number): Promise<string[]>;
}

/** A saved document. */
export interface SavedDocument {
  readonly documentId: string;
  readonly url: string;
  readonly title: string;
  readonly keywords: readonly string[];
}

/** Keeps documents; saving a URL twice updates the same document. */
export interface DocumentDatabase {
  save(document: Omit<SavedDocument, "documentId">): Promise<SavedDocument>;
  all(): readonly SavedDocument[];
}

/** Everything the pipeline calls, plus the call counters the demo prints. */
export interface Services {
  readonly web: Web;
  readonly keywords: KeywordService;
  readonly documents: DocumentDatabase;
  readonly calls: Record<"web" | "keywords" | "save", number>;
}

const pages: Record<string, string> = {
  "https://example.com/durable": `<html><head><title>Durable execution</title></head><body>
    A durable workflow checkpoints every step, so a crash resumes the workflow from its last
    checkpoint. Durable steps run once; the workflow replays recorded steps.</body></html>`,
  "https://example.com/postgres": `<html><head><title>Postgres as a queue</title></head><body>
    Postgres rows locked with skip locked make a queue; notify wakes the workers, and the
    queue survives restarts because Postgres is durable.</body></html>`,
  "https://example.com/untitled": `<html><body>A page without a title.</body></html>`,
};

const stopWords = new Set(["a", "the", "and", "so", "its", "from", "every", "with", "because"]);

/** In-memory services. The page `/postgres` fails once with a 503 before it loads. */
export function createServices(): Services {
  const calls = { web: 0, keywords: 0, save: 0 };
  const failedOnce = new Set<string>();
  const saved = new Map<string, SavedDocument>();
  return {
    calls,
    web: {
      async get(url) {
        calls.web++;
        if (url.endsWith("/postgres") && !failedOnce.has(url)) {
          failedOnce.add(url);
          throw new Error(`GET ${url}: 503 Service Unavailable`);
        }
        const page = pages[url];
        if (page === undefined) throw new Error(`GET ${url}: 404 Not Found`);
        return page;
      },
    },
    keywords: {
      async keywords(text, max) {
        calls.keywords++;
        const counts = new Map<string, number>();
        for (const word of text.toLowerCase().match(/[a-z]{3,}/g) ?? []) {
          if (!stopWords.has(word)) counts.set(word, (counts.get(word) ?? 0) + 1);
        }
        return [...counts]
          .sort((a, b) => b[1] - a[1])
          .slice(0, max)
          .map(([word]) => word);
      },
    },
    documents: {
      async save(document) {
        calls.save++;
        const documentId = saved.get(document.url)?.documentId ?? `doc_${saved.size + 1}`;
        const record = { documentId, ...document };
        saved.set(document.url, record);
        return record;
      },
      all: () => [...saved.values()],
    },
  };
}
