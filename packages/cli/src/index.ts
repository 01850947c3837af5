/**
 * `@cairn/cli`: the `cairn` command line. The binary is `cairn`; this entry lets a program run
 * the same command line in process (`main(argv, io)`), and mounts the web dashboard inside an
 * application's own server (`createDashboard`).
 */
export { main, VERSION, type CliIo } from "./main.js";
export { EXIT, CliError, type ExitCode } from "./cli-error.js";
export { createDashboard, type Dashboard, type DashboardOptions } from "./dashboard/dashboard.js";
