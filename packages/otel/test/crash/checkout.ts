/**
 * The workflow the crash test runs: reserve, then charge. In the first process `charge` hangs
 * (after saying so), so a SIGKILL lands mid-step with `reserve` checkpointed; the recovering
 * process runs `charge` again and finishes.
 */
import { step, workflow } from "@cairn/core";

export const EXECUTOR_ID = "otel-crash-worker";

/** Called when `charge` starts: the worker prints a marker, the test process does nothing. */
export const hooks = { chargeStarted: (): void => undefined, hang: false };

const reserve = step("reserve", (order: string) => `R-${order}`);
const charge = step("charge", async (order: string) => {
  hooks.chargeStarted();
  if (hooks.hang) await new Promise<never>(() => undefined);
  return `paid-${order}`;
});

export const checkout = workflow("checkout", async (ctx, order: string) => {
  const reservation = await reserve(ctx, order);
  const payment = await charge(ctx, order);
  return `${reservation}/${payment}`;
});
