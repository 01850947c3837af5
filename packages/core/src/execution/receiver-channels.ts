/**
 * Validation of a message against the channel schema of the workflow that will receive it, for
 * a sender that only has the receiver's ID (`engine.send`, `ctx.send`). The sender's engine knows
 * definitions by name, so when some registered workflow declares a schema for the topic, it
 * reads the receiver's name and validates with that workflow's schema before anything is
 * written. Topics no registered workflow declares cost nothing extra; receivers this engine does
 * not know are not validated here (their `recv` still is).
 */
import { parseChannel, type ChannelSchemas } from "../channels.js";
import type { WorkflowStore } from "../store/workflow-store.js";
import type { Registry } from "./registry.js";

/** What a sender knows about receivers' message schemas. */
export interface ReceiverChannels {
  /** True when a registered workflow declares a schema for messages on `topic`. */
  declares(topic: string): boolean;
  /** The channels of the registered workflow called `name`, if any. */
  channelsOf(name: string): ChannelSchemas | undefined;
}

/** The receivers an engine's registry knows. */
export function receiverChannels(registry: Registry): ReceiverChannels {
  return {
    declares: (topic) =>
      registry.names.some((name) => registry.get(name)?.channels?.messages?.[topic] !== undefined),
    channelsOf: (name) => registry.get(name)?.channels,
  };
}

/**
 * `message` parsed by the receiver's schema for `topic` when the sender knows one, else as
 * given. Throws `ValidationError` naming the topic; an unknown receiver is left to the send.
 */
export async function parseForReceiver(
  receivers: ReceiverChannels | undefined,
  readWorkflow: WorkflowStore["getWorkflow"],
  destinationId: string,
  topic: string,
  message: unknown,
): Promise<unknown> {
  if (!receivers?.declares(topic)) return message;
  const receiver = await readWorkflow(destinationId);
  if (!receiver) return message;
  return parseChannel(receivers.channelsOf(receiver.name), "messages", topic, message);
}
