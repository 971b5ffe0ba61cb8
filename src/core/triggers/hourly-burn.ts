// hourly_burn: the fleet's spend over the last hour exceeds the daily budget / 24: investigate now.
import { formatUsd, microToUsd } from "../money.ts";
import { NONE, round, type Trigger, windowOf } from "./kind.ts";

export const hourlyBurn: Trigger = {
  name: "hourly_burn",
  evaluate(ctx) {
    const t = ctx.policy.triggers.hourly_burn;
    if (!t.enabled) return NONE;
    const perEndpoint = [...ctx.history.endpoints].map(([id, h]) => ({ id, micro: windowOf(h, t.window_minutes).spendMicro }));
    const spent = perEndpoint.reduce((s, e) => s + e.micro, 0);
    const limit = (ctx.budgetMicro / t.budget_divisor) * (t.window_minutes / 60);
    if (!(spent > limit)) return NONE;
    const top = perEndpoint
      .filter((e) => e.micro > 0)
      .sort((a, b) => b.micro - a.micro)
      .slice(0, 3)
      .map((e) => `${e.id} ${formatUsd(Math.round(e.micro))}`);
    return {
      actions: [],
      alerts: [
        {
          kind: "hourly_burn",
          severity: "warning",
          endpoint: null,
          dedupKey: `${ctx.day}:hourly_burn:fleet`,
          title: `Investigate now: ${formatUsd(Math.round(spent))} spent in the last ${t.window_minutes} minutes`,
          message:
            `The fleet spent ${formatUsd(Math.round(spent))} in the last ${t.window_minutes} minutes, over ` +
            `${formatUsd(Math.round(limit))} (the daily budget ${formatUsd(ctx.budgetMicro)} / ${t.budget_divisor}` +
            `${t.window_minutes === 60 ? "" : ` for ${t.window_minutes} minutes`}). ` +
            (ctx.burnMicroPerHour > 0
              ? `At the current burn of ${formatUsd(ctx.burnMicroPerHour)}/h a whole day's budget lasts ${round(ctx.budgetMicro / ctx.burnMicroPerHour, 1)} h. `
              : "") +
            `Biggest: ${top.join(", ") || "none"}.`,
          figures: {
            spend_window_usd: round(microToUsd(spent), 4),
            limit_usd: round(microToUsd(limit), 4),
            window_minutes: t.window_minutes,
            budget_usd: microToUsd(ctx.budgetMicro),
          },
        },
      ],
    };
  },
};
