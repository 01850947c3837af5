/** The instrumentation scope of Cairn's tracer and meter: this package's name and version. */
export const INSTRUMENTATION_SCOPE = "@cairn/otel";
/** Keep in step with package.json (a test checks it). */
export const VERSION = "0.1.0";
