/** Every `cairn` command, in the order `cairn --help` lists them. */
import type { Command } from "../command.js";
import { dashboard } from "./dashboard.js";
import { executors } from "./executors.js";
import { migrate } from "./migrate.js";
import { queues } from "./queues.js";
import { workflowsAttributes } from "./workflows-attributes.js";
import { workflowsEvents, workflowsStream } from "./workflows-channels.js";
import {
  workflowsCancel,
  workflowsFork,
  workflowsResume,
  workflowsSend,
} from "./workflows-control.js";
import { workflowsList } from "./workflows-list.js";
import { workflowsShow, workflowsSteps } from "./workflows-show.js";

export const COMMANDS: readonly Command[] = [
  workflowsList,
  workflowsShow,
  workflowsSteps,
  workflowsCancel,
  workflowsResume,
  workflowsFork,
  workflowsSend,
  workflowsAttributes,
  workflowsEvents,
  workflowsStream,
  queues,
  executors,
  migrate,
  dashboard,
];
