/**
 * Counts SQL statements as the driver sends them, keyed by a short normalized text, so a
 * scenario can say how many statements it cost and which ones. It only counts; timing is the
 * scenarios' job.
 */

/** Statements seen since a mark: the total and a count per normalized statement text. */
export interface StatementTally {
  readonly total: number;
  readonly byText: Readonly<Record<string, number>>;
}

export interface StatementCounter {
  /** Call once per statement sent. */
  record(text: string): void;
  /** Starts a tally; `read()` returns what was recorded since. */
  mark(): { read(): StatementTally };
}

/** `schema` is replaced by `<schema>` so the keys read the same on every run. */
export function createStatementCounter(schema: string): StatementCounter {
  const byText = new Map<string, number>();
  const keys = new Map<string, string>(); // the store sends the same few texts again and again
  let total = 0;
  return {
    record(text) {
      total++;
      let key = keys.get(text);
      if (key === undefined) keys.set(text, (key = normalize(text, schema)));
      byText.set(key, (byText.get(key) ?? 0) + 1);
    },
    mark() {
      const startTotal = total;
      const start = new Map(byText);
      return {
        read: () => ({
          total: total - startTotal,
          byText: Object.fromEntries(
            [...byText]
              .map(([key, n]): [string, number] => [key, n - (start.get(key) ?? 0)])
              .filter(([, n]) => n > 0),
          ),
        }),
      };
    },
  };
}

/** One line, schema-free, cut before the VALUES list so batches of any size share a key. */
function normalize(text: string, schema: string): string {
  const line = text.replaceAll(`"${schema}"`, "<schema>").replaceAll(schema, "<schema>");
  const flat = line.replace(/\s+/g, " ").trim();
  const cut = flat.search(/ values /i);
  return (cut > 0 ? flat.slice(0, cut) : flat).slice(0, 90);
}
