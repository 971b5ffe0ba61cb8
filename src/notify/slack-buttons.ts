// Slack's interactive buttons: the ones put on alert messages, and the payloads Slack posts when one
// is pressed (read by POST /slack/interactions). Pure: no I/O here.
import * as z from "zod";

/** What a button carries in its `value` (Slack allows 2,000 characters). */
export const snoozeValue = z.object({ endpoint: z.string().nullable(), dedup_key: z.string().nullable() }).strict();

/** The part of a block_actions payload the guardrail reads; Slack sends much more. */
export const interactionPayload = z.object({
  type: z.string(),
  user: z.object({ id: z.string().min(1).max(40) }),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().max(2000).optional() })).default([]),
  response_url: z.url().optional(),
});
export type InteractionPayload = z.infer<typeof interactionPayload>;

export const ACTION_IDS = {
  approve: "guardrail_approve",
  reject: "guardrail_reject",
  snooze: "guardrail_snooze_1h",
  restore: "guardrail_restore",
} as const;

export interface SlackButton {
  type: "button";
  text: { type: "plain_text"; text: string };
  action_id: string;
  value: string;
  style?: "primary" | "danger";
}

/** Slack's limits (Block Kit reference): button text 75 characters, value 2,000, block_id 255. */
const MAX_BUTTON_TEXT = 75;
const MAX_VALUE = 2000;

const button = (text: string, action_id: string, value: string, style?: "primary" | "danger"): SlackButton => ({
  type: "button",
  text: { type: "plain_text", text: text.length <= MAX_BUTTON_TEXT ? text : `${text.slice(0, MAX_BUTTON_TEXT - 1)}…` },
  action_id,
  value,
  ...(style ? { style } : {}),
});

/** The Snooze button's value; without the dedup key when it would not fit (the snooze then only suspends). */
function snoozeButton(endpoint: string | null, dedupKey: string | null): SlackButton {
  const value = JSON.stringify({ endpoint, dedup_key: dedupKey });
  return button("Snooze 1h", ACTION_IDS.snooze, value.length <= MAX_VALUE ? value : JSON.stringify({ endpoint, dedup_key: null }));
}

/** Buttons for an action waiting for approval: "Approve pause", "Reject", "Snooze 1h". */
export function approvalButtons(key: string, kind: string, endpoint: string, dedupKey: string | null = null) {
  return {
    type: "actions" as const,
    block_id: `guardrail_approval:${key}`.slice(0, 255),
    elements: [
      button(`Approve ${kind.replace("_", " ")}`, ACTION_IDS.approve, key, "primary"),
      button("Reject", ACTION_IDS.reject, key, "danger"),
      snoozeButton(endpoint, dedupKey),
    ],
  };
}

/** What the buttons need of an alert: the plan's Alert, or the notice built from its event (dedup key may be null). */
export interface AlertRef {
  kind: string;
  endpoint: string | null;
  dedupKey: string | null;
  figures: Readonly<Record<string, unknown>>;
}

/**
 * The actions block for an alert message (the Slack renderer puts it on every alert notice): approval
 * requests get Approve/Reject/Snooze; other alerts get "Snooze 1h", and "Restore" when they concern
 * one endpoint. The handler of POST /slack/interactions reads the same action_ids and values.
 */
export function alertButtons(alert: AlertRef): { type: "actions"; block_id: string; elements: SlackButton[] } {
  const key = alert.figures.key;
  const action = alert.figures.action;
  if (
    alert.kind === "approval_requested" &&
    typeof key === "string" &&
    key.length <= MAX_VALUE &&
    typeof action === "string" &&
    alert.endpoint
  ) {
    return approvalButtons(key, action, alert.endpoint, alert.dedupKey);
  }
  const elements = [snoozeButton(alert.endpoint, alert.dedupKey)];
  if (alert.endpoint) elements.push(button("Restore", ACTION_IDS.restore, alert.endpoint));
  return { type: "actions", block_id: `guardrail_alert:${alert.dedupKey ?? alert.kind}`.slice(0, 255), elements };
}

/** The action_ids of the guardrail's buttons: a press of anything else (a link button) needs no answer. */
export const isGuardrailAction = (actionId: string): boolean => (Object.values(ACTION_IDS) as string[]).includes(actionId);
