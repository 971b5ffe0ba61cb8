// @aws-sdk/xml-builder with its pure-JS XML parser instead of the browser one. wrangler.toml [alias] and
// vitest.config.ts point "@aws-sdk/xml-builder" here: bundling for workerd picks the package's "browser"
// build, whose parser calls `new DOMParser()`, which workerd lacks. SNS would publish the message, then the
// client would throw `ReferenceError: DOMParser is not defined` reading the reply, and a retry would publish
// it twice. The paths are relative so the alias does not apply to them again; the package has no "exports".
export { XmlNode } from "../../node_modules/@aws-sdk/xml-builder/dist-es/XmlNode.js";
export { XmlText } from "../../node_modules/@aws-sdk/xml-builder/dist-es/XmlText.js";
export { parseXML } from "../../node_modules/@aws-sdk/xml-builder/dist-es/xml-parser.js";
