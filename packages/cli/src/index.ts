/**
 * `@cairn/cli`: the `cairn` command line. The binary is `cairn`; this entry lets a program run
 * the same command line in process (`main(argv, io)`).
 */
export { main, VERSION, type CliIo } from "./main.js";
export { EXIT, CliError, type ExitCode } from "./cli-error.js";
