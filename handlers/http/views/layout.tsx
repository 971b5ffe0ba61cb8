// The page shell shared by the status page and the login form: phone-first viewport, one inline
// stylesheet, and scripts only with the response's CSP nonce.
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import { STYLE } from "./style.ts";

export function Layout(props: { title: string; nonce: string; children: Child; script?: string }) {
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="robots" content="noindex" />
          <title>{props.title}</title>
          <style nonce={props.nonce} dangerouslySetInnerHTML={{ __html: STYLE }} />
        </head>
        <body>
          {props.children}
          {props.script && <script nonce={props.nonce} dangerouslySetInnerHTML={{ __html: props.script }} />}
        </body>
      </html>
    </>
  );
}
